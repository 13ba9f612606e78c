from lodestone_common.settings import ServiceSettings


class AutomationSettings(ServiceSettings):
    service_name: str = "automation"
    http_port: int = 8003
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    mail_from: str = "Lodestone <hello@lodestone.local>"
    # Where recipients' unsubscribe, open and click links point (this service's public URL).
    public_url: str = "http://127.0.0.1:8003"
    # Signs unsubscribe/tracking links; set a secret in production.
    link_secret: str = "lodestone-dev-link-secret"
    # Contacts stays the only writer of contacts: steps change them through its API.
    contacts_url: str = "http://127.0.0.1:8001"
    contacts_api_key: str | None = None
    # Networks webhooks may reach although private or local (comma-separated CIDRs, e.g.
    # "10.1.0.0/16"); loopback, private, link-local and metadata addresses are refused
    # otherwise (see domain/destinations.py).
    webhook_allowed_networks: str = ""
