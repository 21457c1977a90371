from checks.manual.items import CHECKS

__all__ = ["CHECKS"]
