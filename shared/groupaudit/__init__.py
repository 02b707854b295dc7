"""groupaudit: audits company chat groups against their group-management policy."""

__version__ = "0.1.0"
