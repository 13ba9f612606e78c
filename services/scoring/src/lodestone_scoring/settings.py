from lodestone_common.settings import ServiceSettings


class ScoringSettings(ServiceSettings):
    service_name: str = "scoring"
    http_port: int = 8002
    # How often qualified leads are re-checked for having decayed below their threshold.
    decay_sweep_seconds: float = 60.0
