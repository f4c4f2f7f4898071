"""JSON shapes of the retention API: the cost comparison and the retention desk."""

from wanliu.retention.schemas.compare import (
    ComparisonIn,
    ComparisonOut,
    CompetitorIn,
    OfferIn,
    SwitchingIn,
)

__all__ = ["ComparisonIn", "ComparisonOut", "CompetitorIn", "OfferIn", "SwitchingIn"]
