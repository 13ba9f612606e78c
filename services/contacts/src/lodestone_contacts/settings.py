from lodestone_common.settings import ServiceSettings


class ContactsSettings(ServiceSettings):
    service_name: str = "contacts"
    http_port: int = 8001
