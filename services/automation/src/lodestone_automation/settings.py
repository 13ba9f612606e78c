from lodestone_common.settings import ServiceSettings


class AutomationSettings(ServiceSettings):
    service_name: str = "automation"
    http_port: int = 8003
