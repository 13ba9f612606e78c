"""Automation's HTTP API."""

from .campaigns import router as campaigns_router
from .email_templates import router as email_templates_router
from .enrollments import router as enrollments_router
from .public import router as public_router
from .reps import router as reps_router
from .suppressions import router as suppressions_router
from .tasks import router as tasks_router
from .workflows import router as workflows_router

routers = [
    *(workflows_router, enrollments_router, email_templates_router, tasks_router),
    *(campaigns_router, suppressions_router, reps_router, public_router),
]
