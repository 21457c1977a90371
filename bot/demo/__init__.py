"""The bundled demo target (DESIGN section 7)."""

from bot.demo.server import DemoTarget

__all__ = ["DemoTarget"]
