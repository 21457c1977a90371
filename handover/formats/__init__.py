"""A RunReport in the formats CI systems read: JUnit XML and SARIF 2.1.0."""

from handover.formats.junit import to_junit
from handover.formats.sarif import to_sarif

__all__ = ["to_junit", "to_sarif"]
