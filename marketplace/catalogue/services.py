"""Categories, products and listing moderation."""

from __future__ import annotations

from sqlalchemy import Select, select

from ..sellers.models import Seller
from .models import Product


def visible_products() -> Select:
    """The one definition of what buyers may see: active products of approved households.

    Used by the catalogue list, the product detail view, checkout and search.
    """
    return (
        select(Product)
        .join(Product.seller)
        .where(Product.status == "active", Seller.status == "approved")
    )
