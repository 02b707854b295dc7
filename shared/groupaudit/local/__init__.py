"""Local runs: the template's stateful AWS resources on a local endpoint (moto), built from template.yaml."""
