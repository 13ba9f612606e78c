"""Typed dependencies of automation's routes: what the composition root built."""

from __future__ import annotations

from typing import Annotated

from lodestone_common.provided import provided

from ..campaigns import CampaignSender
from ..catalog import Catalog
from ..effects import ContactsClient
from ..runner import Runner
from ..service import Automation
from ..settings import AutomationSettings

AutomationDep = Annotated[Automation, provided("automation")]
CatalogDep = Annotated[Catalog, provided("catalog")]
RunnerDep = Annotated[Runner, provided("runner")]
ContactsDep = Annotated[ContactsClient, provided("contacts")]
SenderDep = Annotated[CampaignSender, provided("campaigns")]
SettingsDep = Annotated[AutomationSettings, provided("settings")]
