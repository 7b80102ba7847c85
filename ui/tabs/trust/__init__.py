"""The Trust tab (``tab``) and its ranking of methods over several photos (``ranking``)."""

from ui.tabs.trust.tab import TrustTab

__all__ = ["TrustTab"]
