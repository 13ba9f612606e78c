"""`/v1/products`: the product catalog — names, categories, prices and costs of SKUs. Costs
give the purchases report its margin; categories give commission plans their rates."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, status
from pydantic import BaseModel, ConfigDict, Field, model_validator

from lodestone_common.auth import ApiKey, Scope

from .deps import ReadModelsDep

router = APIRouter(prefix="/v1/products", tags=["products"])
Money = Annotated[float, Field(ge=0, le=1e12)]
SKU = Path(min_length=1, max_length=100, description="the SKU purchases carry (`items[].sku`)")


class ProductIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    category: str | None = Field(None, min_length=1, max_length=100)
    price: Money | None = Field(None, description="list price of one unit")
    cost: Money | None = Field(None, description="what one unit costs the business")
    currency: str | None = Field(
        None, pattern=r"^[A-Z]{3}$", description="ISO 4217; required with a price or cost"
    )

    @model_validator(mode="after")
    def _money_in_a_currency(self) -> ProductIn:
        if (self.price is not None or self.cost is not None) and self.currency is None:
            raise ValueError('a price or cost needs its currency, e.g. "currency": "EUR"')
        return self


class Product(ProductIn):
    sku: str
    updated_at: datetime
    updated_by: str


def _product(doc: dict[str, Any]) -> Product:
    return Product(sku=doc["_id"], **{k: v for k, v in doc.items() if k != "_id"})


@router.put("/{sku}", response_model=Product, summary="Add or change a product")
async def put_product(
    models: ReadModelsDep,
    body: ProductIn,
    sku: str = SKU,
    key: ApiKey = Scope("reports:write"),
) -> Product:
    return _product(await models.catalog.put(sku, body.model_dump(), key.name))


@router.get("", response_model=list[Product], summary="Every product in the catalog")
async def products(models: ReadModelsDep, key: ApiKey = Scope("reports:read")) -> list[Product]:
    return [_product(d) for d in await models.catalog.all()]


@router.delete(
    "/{sku}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove a product from the catalog"
)
async def delete_product(
    models: ReadModelsDep, sku: str = SKU, key: ApiKey = Scope("reports:write")
) -> None:
    if not await models.catalog.delete(sku):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no product {sku!r} in the catalog")
