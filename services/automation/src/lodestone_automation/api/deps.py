"""Typed dependencies of automation's routes: what the composition root built."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from lodestone_common.processing import Transactions

from ..catalog import Catalog
from ..effects import ContactsClient
from ..repository import AutomationRepository
from ..runner import Runner


def repo(request: Request) -> AutomationRepository:
    return request.app.state.repo


def catalog(request: Request) -> Catalog:
    return request.app.state.catalog


def runner(request: Request) -> Runner:
    return request.app.state.runner


def contacts(request: Request) -> ContactsClient:
    return request.app.state.contacts


def transactions(request: Request) -> Transactions:
    return request.app.state.transactions


RepoDep = Annotated[AutomationRepository, Depends(repo)]
CatalogDep = Annotated[Catalog, Depends(catalog)]
RunnerDep = Annotated[Runner, Depends(runner)]
ContactsDep = Annotated[ContactsClient, Depends(contacts)]
TransactionsDep = Annotated[Transactions, Depends(transactions)]
