"""All models; importing this package registers every table on ``Base.metadata``."""

from inventory_server.db import Base
from inventory_server.models.compliance import (  # noqa: F401 - registers the compliance tables
    ComplianceChange,
    ComplianceJob,
    ComplianceResult,
    PolicyPack,
    PolicyParam,
    UnitCheckCount,
)
from inventory_server.models.hosts import (
    AgentCredential,
    HardwareComponent,
    Host,
    HostAddress,
    HostEvent,
    HostSection,
    NetworkInterface,
)
from inventory_server.models.software import (
    HostSoftware,
    SoftwareInstall,
    SoftwarePackage,
    SoftwareTitle,
)
from inventory_server.models.summaries import SummaryRefresh, UnitTitleCount
from inventory_server.models.units import EnrollmentSecret, OrgUnit
from inventory_server.models.users import ApiToken, AuditLog, User

__all__ = [
    "AgentCredential",
    "ApiToken",
    "AuditLog",
    "Base",
    "EnrollmentSecret",
    "HardwareComponent",
    "Host",
    "HostAddress",
    "HostEvent",
    "HostSection",
    "HostSoftware",
    "NetworkInterface",
    "OrgUnit",
    "SoftwareInstall",
    "SoftwarePackage",
    "SoftwareTitle",
    "SummaryRefresh",
    "UnitTitleCount",
    "User",
]
