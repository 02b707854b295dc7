"""The group registry: ``TENANT#t / GROUP#g`` holds a group's registration (its wire model as
JSON), ``TENANTS / TENANT#t`` lists each tenant once."""

from __future__ import annotations

from groupaudit.adapters.storage.dynamo import Table, s
from groupaudit.wire import GroupRegistration


class Groups(Table):
    def put_group(self, registration: GroupRegistration) -> None:
        self.put_groups([registration])

    def put_groups(self, registrations: list[GroupRegistration]) -> None:
        """Register (or replace) groups, 25 items a request; each tenant is listed once."""
        requests = [
            {
                "PutRequest": {
                    "Item": {
                        "PK": s(f"TENANT#{r.tenant_id}"),
                        "SK": s(f"GROUP#{r.group_id}"),
                        "type": s("group"),
                        "registration": s(r.model_dump_json()),
                    }
                }
            }
            for r in registrations
        ]
        requests += [
            {"PutRequest": {"Item": {"PK": s("TENANTS"), "SK": s(f"TENANT#{t}"), "tenant_id": s(t)}}}
            for t in sorted({r.tenant_id for r in registrations})
        ]
        self._batch_write(requests)

    def get_group(self, tenant: str, group: str) -> GroupRegistration | None:
        item = self._get({"PK": s(f"TENANT#{tenant}"), "SK": s(f"GROUP#{group}")})
        return GroupRegistration.model_validate_json(item["registration"]["S"]) if item else None

    def list_groups(self, tenant: str) -> list[GroupRegistration]:
        items = self._query(
            KeyConditionExpression="PK = :pk AND begins_with(SK, :sk)",
            ExpressionAttributeValues={":pk": s(f"TENANT#{tenant}"), ":sk": s("GROUP#")},
        )
        return [GroupRegistration.model_validate_json(item["registration"]["S"]) for item in items]

    def delete_group(self, tenant: str, group: str) -> bool:
        answer = self.client.delete_item(
            TableName=self.table,
            Key={"PK": s(f"TENANT#{tenant}"), "SK": s(f"GROUP#{group}")},
            ReturnValues="ALL_OLD",
        )
        return "Attributes" in answer

    def list_tenants(self) -> list[str]:
        items = self._query(
            KeyConditionExpression="PK = :pk", ExpressionAttributeValues={":pk": s("TENANTS")}
        )
        return [item["tenant_id"]["S"] for item in items]
