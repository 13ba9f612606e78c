from pydantic import Field

from lodestone_common.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    service_name: str = "reporting"
    http_port: int = 8004
    # Bigger batches fold more events into each counter upsert (a counter document is
    # written once per batch however many events move it).
    consumer_max_records: int = Field(default=2000, ge=1, le=10_000)
