from lodestone_common.limits import MAX_ATTACHMENT_BYTES
from lodestone_common.settings import ServiceSettings


class ContactsSettings(ServiceSettings):
    service_name: str = "contacts"
    http_port: int = 8001
    # Requests per API key per replica on every ingestion endpoint (POST /v1/events, the
    # Segment-compatible API), as `limits` reads it: "1000/second", "60000/minute".
    ingest_rate_limit: str = "1000/second"
    # Shared secrets of Segment's and RudderStack's Webhook destinations (X-Signature, the
    # HMAC-SHA1 of the body); their receivers answer 404 while unset.
    segment_webhook_secret: str | None = None
    rudderstack_webhook_secret: str | None = None
    # The largest attachment (one revision of a contact's document) accepted, in bytes.
    attachment_max_bytes: int = MAX_ATTACHMENT_BYTES
    # Email providers' bounce and complaint webhooks (/v1/email-events/...), each off (404)
    # until set: the SNS topic ARNs SES publishes feedback to (comma-separated), Postmark's
    # webhook basic-auth password, Mailgun's HTTP webhook signing key, SendGrid's signed
    # event webhook verification key (base64, as SendGrid shows it).
    ses_topic_arns: str = ""
    postmark_webhook_secret: str | None = None
    mailgun_signing_key: str | None = None
    sendgrid_verification_key: str | None = None
