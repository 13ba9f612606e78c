"""Run Lodestone natively, with nothing installed by hand: Kafka, SecantusDB and the services.

    python deploy/local/stack.py up          # infrastructure + the four services, waits for /readyz
    python deploy/local/stack.py down        # stops everything `up` started
    python deploy/local/stack.py infra-up    # Kafka + MongoDB-wire server only
    python deploy/local/stack.py status      # processes, and each consumer group's lag and progress
    python deploy/local/stack.py supervise   # restart a stalled service (`up` starts it)

Kafka's jars are resolved from Maven Central with Maven (cached in ~/.m2), the MongoDB-wire
server is SecantusDB's daemon from the locked Python environment. Runtime state (data, logs,
pid files) lives under `.local/<stack>/` in the repository, which git ignores. The test suite
imports this module to start a private stack on other ports.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lodestone_common.dbusers import SERVICES as DB_SERVICES
from lodestone_common.dbusers import ensure_users, with_login
from lodestone_common.topics import ACCESS

ROOT = Path(__file__).resolve().parents[2]
OBSERVABILITY = ROOT / "deploy" / "observability"
KAFKA_POM_DIR = ROOT / "deploy" / "local" / "kafka"
KAFKA_LIBS = KAFKA_POM_DIR / "target" / "libs"
VENV_BIN = Path(sys.executable).parent
SERVICES = {"contacts": 8001, "scoring": 8002, "automation": 8003, "reporting": 8004}
# The console calls the four services; it starts after them and is listed apart, so what
# counts "the services" (fault phases, fuzzing) stays the four that own the domain data.
CONSOLE_PORT = 8000
DEV_API_KEY = "lodestone-dev-key"
# What automation may do at contacts: its update_contact steps, and the email events
# (opened, clicked, unsubscribed, bounced) its links and mailer report.
AUTOMATION_SCOPES = ("contacts:write", "events:write", "segments:read")
# With LODESTONE_KAFKA_AUTH=scram, Kafka takes SASL/SCRAM logins only and authorises by ACL:
# `admin` is the super user (topics, ACLs, tools), each service logs in as itself and may
# only do what lodestone_common.topics.ACCESS says, as may `integrator` (raw ingestion only).
KAFKA_PRINCIPALS = ("admin", *ACCESS)
KAFKA_MECHANISM = "SCRAM-SHA-512"


def kafka_password(principal: str) -> str:
    """The local stack's password of a Kafka principal (development only)."""
    return f"{principal}-kafka-dev-password"


def mongo_password(user: str) -> str:
    """The local stack's password of a database user (development only)."""
    return f"{user}-mongo-dev-password"


CACHE = Path(os.environ.get("LODESTONE_CACHE", Path.home() / ".cache" / "lodestone"))
SECANTUS_RS_VERSION = "0.5.3-beta.196"
SECANTUS_RS = CACHE / "secantus" / SECANTUS_RS_VERSION / "bin" / "secantusd-rs"
# The mail catcher: Mailpit, built once from the Go module proxy (its web UI's assets are
# not in the Go module, so its HTTP API is what there is; the API is what tests read).
MAILPIT_VERSION = "v1.33.1"
MAILPIT = CACHE / "mailpit" / MAILPIT_VERSION / "bin" / "mailpit"


def log(msg: str) -> None:
    print(f"[stack] {msg}", flush=True)


@dataclass
class Stack:
    """One set of native processes with its own ports and state directory."""

    name: str = "dev"
    kafka_port: int = 9092
    mongo_port: int = 27017
    smtp_port: int = 1025
    mail_http_port: int = 8025
    prometheus_port: int = 9090
    service_ports: dict[str, int] = field(default_factory=lambda: dict(SERVICES))
    console_port: int = CONSOLE_PORT
    api_key: str = field(default_factory=lambda: os.environ.get("LODESTONE_API_KEY", DEV_API_KEY))
    # Further keys with scopes (LODESTONE_API_KEYS JSON), e.g. the tests' limited keys.
    api_keys: str = field(default_factory=lambda: os.environ.get("LODESTONE_API_KEYS", ""))
    # Settings of one service's processes (e.g. the tests' webhook secrets), every time it starts.
    service_settings: dict[str, dict[str, str]] = field(default_factory=dict)
    # Kafka with SCRAM logins and ACLs (LODESTONE_KAFKA_AUTH=scram), else open (PLAINTEXT).
    kafka_auth: bool = field(
        default_factory=lambda: os.environ.get("LODESTONE_KAFKA_AUTH", "") == "scram"
    )
    # The database with logins (LODESTONE_MONGO_AUTH=scram): `root` administers, each service
    # logs in as itself and may use only its own database (lodestone_common.dbusers).
    mongo_auth: bool = field(
        default_factory=lambda: os.environ.get("LODESTONE_MONGO_AUTH", "") == "scram"
    )
    # Endpoints of infrastructure started elsewhere (testcontainers, a shared cluster).
    kafka_bootstrap: str = ""
    mongo_url: str = ""

    def __post_init__(self) -> None:
        self.kafka_bootstrap = self.kafka_bootstrap or f"127.0.0.1:{self.kafka_port}"
        self.mongo_url = (
            self.mongo_url or f"mongodb://127.0.0.1:{self.mongo_port}/?directConnection=true"
        )
        if self.mongo_auth and "@" not in self.mongo_url:  # tools and tests: the root login
            self.mongo_url = with_login(self.mongo_url, "root", mongo_password("root"))

    def service_mongo_url(self, service: str) -> str:
        """The connection string a service's processes use: its own login, when there are."""
        if not self.mongo_auth or service not in DB_SERVICES:
            return self.mongo_url
        plain = f"mongodb://127.0.0.1:{self.mongo_port}/?directConnection=true"
        return with_login(plain, service, mongo_password(service))

    @property
    def home(self) -> Path:
        return ROOT / ".local" / self.name

    def replica(self, service: str, index: int) -> tuple[str, int]:
        """(process name, HTTP port) of a service's replica; index 0 is the service itself."""
        port = self.ports()[service] + 10 * index
        return (service if index == 0 else f"{service}-{index + 1}"), port

    def ports(self) -> dict[str, int]:
        """Every process serving HTTP: the four services and the console."""
        return {**self.service_ports, "console": self.console_port}

    @property
    def automation_key(self) -> str:
        """Automation's key for contacts: only what its steps do there (change contacts,
        report email events), never the admin key. Derived from the admin key so that every
        process of the stack, however often restarted, agrees on it."""
        return hashlib.sha256(f"automation->contacts:{self.api_key}".encode()).hexdigest()

    def keys_json(self) -> str:
        """LODESTONE_API_KEYS: the configured keys and automation's key for contacts."""
        keys = json.loads(self.api_keys) if self.api_keys.strip() else []
        keys.append(
            {
                "name": "automation",
                "sha256": hashlib.sha256(self.automation_key.encode()).hexdigest(),
                "scopes": list(AUTOMATION_SCOPES),
            }
        )
        return json.dumps(keys)

    def kafka_env(self, principal: str) -> dict[str, str]:
        """The LODESTONE_KAFKA_* settings a client logging in as `principal` needs."""
        if not self.kafka_auth:
            return {"LODESTONE_KAFKA_SECURITY_PROTOCOL": "PLAINTEXT"}
        return {
            "LODESTONE_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
            "LODESTONE_KAFKA_SASL_MECHANISM": KAFKA_MECHANISM,
            "LODESTONE_KAFKA_USERNAME": principal,
            "LODESTONE_KAFKA_PASSWORD": kafka_password(principal),
        }

    def kafka_security(self, principal: str = "admin") -> dict[str, str]:
        """aiokafka keyword arguments for a client logging in as `principal`."""
        if not self.kafka_auth:
            return {}
        return {
            "security_protocol": "SASL_PLAINTEXT",
            "sasl_mechanism": KAFKA_MECHANISM,
            "sasl_plain_username": principal,
            "sasl_plain_password": kafka_password(principal),
        }

    def service_env(self, service: str, replica: int = 0) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self.kafka_env(service))  # each process logs in as itself
        env.update(
            LODESTONE_KAFKA_BOOTSTRAP=self.kafka_bootstrap,
            LODESTONE_MONGO_URL=self.service_mongo_url(service),
            LODESTONE_HTTP_PORT=str(self.replica(service, replica)[1]),
            LODESTONE_HTTP_HOST="127.0.0.1",
            LODESTONE_API_KEY=self.api_key,
            LODESTONE_API_KEYS=self.keys_json(),
            LODESTONE_CONTACTS_API_KEY=self.automation_key,
            LODESTONE_SMTP_HOST="127.0.0.1",
            LODESTONE_SMTP_PORT=str(self.smtp_port),
            LODESTONE_PUBLIC_URL=f"http://127.0.0.1:{self.replica(service, replica)[1]}",
            # Where the revoked API keys are published (keys made in the console).
            LODESTONE_CONSOLE_URL=f"http://127.0.0.1:{self.console_port}",
        )
        for other, port in self.service_ports.items():  # automation and the console call them
            env[f"LODESTONE_{other.upper()}_URL"] = f"http://127.0.0.1:{port}"
        env.update(self.service_settings.get(service, {}))
        return env

    # -- processes -------------------------------------------------------------------------

    def _pidfile(self, name: str) -> Path:
        return self.home / "run" / f"{name}.pid"

    def _logfile(self, name: str) -> Path:
        return self.home / "logs" / f"{name}.log"

    def running(self, name: str) -> int | None:
        pidfile = self._pidfile(name)
        if not pidfile.exists():
            return None
        pid = int(pidfile.read_text())
        if not _alive(pid):
            pidfile.unlink(missing_ok=True)
            return None
        return pid

    def spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> int:
        existing = self.running(name)
        if existing:
            log(f"{name} already running (pid {existing})")
            return existing
        self._pidfile(name).parent.mkdir(parents=True, exist_ok=True)
        self._logfile(name).parent.mkdir(parents=True, exist_ok=True)
        with self._logfile(name).open("ab") as out:
            proc = subprocess.Popen(
                argv,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env or dict(os.environ),
                cwd=ROOT,
                start_new_session=True,  # its own process group: stop() takes its children too
            )
        self._pidfile(name).write_text(str(proc.pid))
        log(f"started {name} (pid {proc.pid}, log {self._logfile(name).relative_to(ROOT)})")
        return proc.pid

    def stop(self, name: str, sig: int = signal.SIGTERM, timeout: float = 30.0) -> None:
        pid = self.running(name)
        if pid is None:
            return
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not _alive(pid):
                break
            time.sleep(0.1)
        else:
            log(f"{name} did not stop in {timeout:.0f}s; killing it")
            os.killpg(pid, signal.SIGKILL)
        self._pidfile(name).unlink(missing_ok=True)
        log(f"stopped {name}")

    def kill(self, name: str) -> None:
        """kill -9, as a crash would: no shutdown hooks run."""
        self.stop(name, signal.SIGKILL, timeout=10)

    # -- Kafka -----------------------------------------------------------------------------

    def ensure_kafka_jars(self) -> None:
        if KAFKA_LIBS.exists() and any(KAFKA_LIBS.glob("kafka_2.13-*.jar")):
            return
        if not shutil.which("mvn"):
            raise SystemExit("Maven (mvn) is needed to fetch Kafka's jars from Maven Central")
        log("resolving Kafka's jars from Maven Central (once; cached in ~/.m2)")
        subprocess.run(
            [
                "mvn",
                "-q",
                "-B",
                "dependency:copy-dependencies",
                f"-DoutputDirectory={KAFKA_LIBS}",
                "-DincludeScope=runtime",
            ],
            cwd=KAFKA_POM_DIR,
            check=True,
        )

    def start_kafka(self) -> None:
        if self.running("kafka"):
            return
        self.ensure_kafka_jars()
        kdir = self.home / "kafka"
        data = kdir / "data"
        data.mkdir(parents=True, exist_ok=True)
        controller = self.kafka_port + 1
        props = kdir / "server.properties"
        mode = kdir / "auth"  # how the data was formatted: SCRAM users exist only if so
        wanted = "scram" if self.kafka_auth else "none"
        if (data / "meta.properties").exists() and mode.exists() and mode.read_text() != wanted:
            raise SystemExit(
                f"Kafka's data in {data} was made with LODESTONE_KAFKA_AUTH={mode.read_text()}; "
                f"stop the stack and delete {kdir} to start it with {wanted}"
            )
        listener = "SASL_PLAINTEXT" if self.kafka_auth else "PLAINTEXT"
        props.write_text(
            "\n".join(
                [
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"controller.quorum.voters=1@127.0.0.1:{controller}",
                    f"listeners={listener}://127.0.0.1:{self.kafka_port},"
                    f"CONTROLLER://127.0.0.1:{controller}",
                    f"advertised.listeners={listener}://127.0.0.1:{self.kafka_port}",
                    "controller.listener.names=CONTROLLER",
                    *(
                        self._kafka_auth_properties()
                        if self.kafka_auth
                        else [
                            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
                        ]
                    ),
                    f"log.dirs={data}",
                    "num.partitions=6",
                    "offsets.topic.replication.factor=1",
                    "offsets.topic.num.partitions=12",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "group.initial.rebalance.delay.ms=0",
                    "auto.create.topics.enable=false",
                    "log.flush.interval.messages=9223372036854775807",
                    "",
                ]
            )
        )
        (kdir / "log4j.properties").write_text(
            "log4j.rootLogger=WARN, stdout\n"
            "log4j.appender.stdout=org.apache.log4j.ConsoleAppender\n"
            "log4j.appender.stdout.layout=org.apache.log4j.PatternLayout\n"
            "log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n\n"
            "log4j.logger.kafka.server.KafkaRaftServer=INFO\n"
        )
        classpath = f"{KAFKA_LIBS}/*"
        if not (data / "meta.properties").exists():
            subprocess.run(
                [
                    "java",
                    "-cp",
                    classpath,
                    "kafka.tools.StorageTool",
                    "format",
                    "-t",
                    str(uuid.uuid4().hex[:22]),
                    "-c",
                    str(props),
                    *self._kafka_scram_users(),
                ],
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            mode.write_text(wanted)
        self.spawn(
            "kafka",
            [
                "java",
                "-Xms256m",
                "-Xmx1g",
                "-XX:+UseG1GC",
                f"-Dlog4j.configuration=file:{kdir / 'log4j.properties'}",
                "-cp",
                classpath,
                "kafka.Kafka",
                str(props),
            ],
        )

    def _kafka_auth_properties(self) -> list[str]:
        """SCRAM on the client listener (the broker talks to itself there as admin), PLAIN
        on the controller's (KRaft cannot check SCRAM before its metadata is loaded), and
        the ACL authoriser with nothing allowed that no ACL allows."""
        admin = kafka_password("admin")
        return [
            "listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,"
            "CONTROLLER:SASL_PLAINTEXT",
            "inter.broker.listener.name=SASL_PLAINTEXT",
            f"sasl.enabled.mechanisms={KAFKA_MECHANISM}",
            f"sasl.mechanism.inter.broker.protocol={KAFKA_MECHANISM}",
            "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config="
            "org.apache.kafka.common.security.scram.ScramLoginModule required "
            f'username="admin" password="{admin}";',
            "sasl.mechanism.controller.protocol=PLAIN",
            "listener.name.controller.sasl.enabled.mechanisms=PLAIN",
            "listener.name.controller.plain.sasl.jaas.config="
            "org.apache.kafka.common.security.plain.PlainLoginModule required "
            f'username="admin" password="{admin}" user_admin="{admin}";',
            "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            "super.users=User:admin",
            "allow.everyone.if.no.acl.found=false",
        ]

    def _kafka_scram_users(self) -> list[str]:
        """StorageTool arguments that create every principal's SCRAM login with the data."""
        if not self.kafka_auth:
            return []
        return [
            arg
            for principal in KAFKA_PRINCIPALS
            for arg in (
                "--add-scram",
                f"{KAFKA_MECHANISM}=[name={principal},password={kafka_password(principal)}]",
            )
        ]

    # -- MongoDB-wire server ---------------------------------------------------------------

    def mongo_daemon(self) -> Path:
        """SecantusDB's Rust daemon when built (4-5x faster bulk writes), else its Python one.

        LODESTONE_MONGO_DAEMON=rs|py forces a choice; `rs` builds it when missing (~9 min
        on two cores, once: cached under ~/.cache/lodestone).
        """
        choice = os.environ.get("LODESTONE_MONGO_DAEMON", "auto")
        if choice == "rs" or (choice == "auto" and SECANTUS_RS.exists()):
            build_secantus_rs()
            return SECANTUS_RS
        daemon = VENV_BIN / "secantusd-py"
        if not daemon.exists():
            raise SystemExit(f"{daemon} is missing: run `uv sync` first")
        return daemon

    def start_mongo(self) -> None:
        if self.running("mongo"):
            return
        data = self.home / "mongo"
        data.mkdir(parents=True, exist_ok=True)
        log(f"MongoDB-wire server: {self.mongo_daemon().name}")
        users = data / "users-provisioned"
        if self.mongo_auth and not users.exists():
            # Users are made on a first start without logins, then it runs with them (the
            # daemon's documented way: no localhost exception to rely on).
            self._spawn_mongo(data, auth=False)
            wait_port(self.mongo_port, 120, "MongoDB-wire server", self)
            self._provision_users()
            self.stop("mongo")
            users.write_text("root and one user per service\n")
        self._spawn_mongo(data, auth=self.mongo_auth)

    def _spawn_mongo(self, data: Path, auth: bool) -> None:
        self.spawn(
            "mongo",
            [
                str(self.mongo_daemon()),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.mongo_port),
                "--storage-path",
                str(data),
                "--log-level",
                "WARNING",
                # The journal is flushed on every commit, as `w: majority` with journaling
                # means on MongoDB: "durable" in the consumer contract holds across a crash
                # of the machine, and benchmarks pay what MongoDB pays.
                # LODESTONE_MONGO_SYNC_ON_COMMIT=0 turns it off to measure its cost.
                *(["--sync-on-commit"] if _sync_on_commit() else []),
                *(["--auth"] if auth else []),
                # More of the daemon's options, to compare (e.g. "--write-tickets 2").
                *shlex.split(os.environ.get("LODESTONE_MONGO_ARGS", "")),
            ],
        )

    def _provision_users(self) -> None:
        from pymongo import MongoClient

        plain = f"mongodb://127.0.0.1:{self.mongo_port}/?directConnection=true"
        client: MongoClient = MongoClient(plain, serverSelectionTimeoutMS=30_000)  # type: ignore[type-arg]
        try:
            if not client.admin.command("usersInfo", "root")["users"]:
                root = [{"role": "root", "db": "admin"}]
                client.admin.command("createUser", "root", pwd=mongo_password("root"), roles=root)
            made = ensure_users(client, {s: mongo_password(s) for s in DB_SERVICES})
            log(f"database users: root, {', '.join(made)}")
        finally:
            client.close()

    # -- mail ------------------------------------------------------------------------------

    def start_mail(self) -> None:
        """The SMTP catcher automation sends to; its HTTP API shows what was sent. Mailpit
        when it could be built (`make mailpit`), else the project's own Python catcher. Both
        keep every copy (no `--ignore-duplicate-ids`): tests count what was sent twice."""
        if MAILPIT.exists() and os.environ.get("LODESTONE_MAIL_CATCHER", "mailpit") == "mailpit":
            argv = [
                str(MAILPIT),
                "--smtp",
                f"127.0.0.1:{self.smtp_port}",
                "--listen",
                f"127.0.0.1:{self.mail_http_port}",
                "--max",
                "0",  # keep them all (500 by default): a campaign test sends a thousand
                "--database",
                str(self.home / "mailpit.db"),
                "--disable-version-check",
                "--quiet",
            ]
            (self.home / "mailpit.db").unlink(missing_ok=True)  # a fresh box per start
        else:
            argv = [
                str(VENV_BIN / "python"),
                str(ROOT / "deploy" / "local" / "mailsink.py"),
                "--smtp-port",
                str(self.smtp_port),
                "--http-port",
                str(self.mail_http_port),
            ]
        self.spawn("mail", argv)

    def prometheus_config(self) -> dict[str, Any]:
        """Prometheus scraping this stack's five processes, with Lodestone's alert rules."""
        return {
            "global": {"scrape_interval": "5s", "evaluation_interval": "15s"},
            "rule_files": [str(OBSERVABILITY / "prometheus" / "alerts.yml")],
            "scrape_configs": [
                {
                    "job_name": f"lodestone-{service}",
                    "static_configs": [{"targets": [f"127.0.0.1:{port}"]}],
                }
                for service, port in self.ports().items()
            ],
        }

    def start_prometheus(self) -> None:
        """A real Prometheus (Debian's package) scraping the stack (`make up OBSERVE=1`)."""
        binary = shutil.which("prometheus")
        if binary is None:
            raise SystemExit("OBSERVE=1 needs Prometheus: apt-get install prometheus")
        config = self.home / "prometheus.yml"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(json.dumps(self.prometheus_config(), indent=2))  # JSON is YAML
        argv = [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={self.home / 'prometheus'}",
            f"--web.listen-address=127.0.0.1:{self.prometheus_port}",
            "--storage.tsdb.retention.time=7d",
        ]
        self.spawn("prometheus", argv)

    @property
    def prometheus_url(self) -> str:
        return f"http://127.0.0.1:{self.prometheus_port}"

    def mailbox(self) -> Mailbox:
        return Mailbox.at(self.mail_url)

    @property
    def mail_url(self) -> str:
        return f"http://127.0.0.1:{self.mail_http_port}"

    # -- whole stack -----------------------------------------------------------------------

    def infra_up(self, timeout: float = 120.0) -> None:
        self.refuse_taken_ports(
            {"kafka": self.kafka_port, "mongo": self.mongo_port, "mail": self.smtp_port}
        )
        self.start_kafka()
        self.start_mongo()
        self.start_mail()
        wait_port(self.mail_http_port, timeout, "mail sink", self)
        wait_port(self.mongo_port, timeout, "MongoDB-wire server", self)
        wait_port(self.kafka_port, timeout, "Kafka", self)
        create_topics(self.kafka_bootstrap, timeout, self.kafka_env("admin"), acls=self.kafka_auth)

    def start_service(
        self, service: str, replica: int = 0, env: dict[str, str] | None = None
    ) -> None:
        """Start a service, or another replica of it (its own port; consumer groups share).
        `env` overrides settings of this one process (its database, consumers off…)."""
        name, _ = self.replica(service, replica)
        argv = [str(VENV_BIN / f"lodestone-{service}")]
        self.spawn(name, argv, {**self.service_env(service, replica), **(env or {})})

    def start_infra(self, name: str, timeout: float = 120.0) -> None:
        """(Re)start Kafka or the database on its data and wait for its port."""
        start, port = {
            "kafka": (self.start_kafka, self.kafka_port),
            "mongo": (self.start_mongo, self.mongo_port),
        }[name]
        start()
        wait_port(port, timeout, name, self)

    def refuse_taken_ports(self, ports: dict[str, int]) -> None:
        """Stop before starting next to a stranger on our ports (a stack of another checkout,
        a leftover test run): ours would fail to bind while its clients quietly talked to
        the stranger's Kafka or database."""
        taken = [
            f"{name} port {port}"
            for name, port in ports.items()
            if self.running(name) is None and port_open(port)
        ]
        if taken:
            raise SystemExit(
                f"already in use by another process: {', '.join(taken)}; stop it first "
                "(`make down` in the checkout that started it, or see `ss -ltnp`)"
            )

    def services_up(self, timeout: float = 120.0) -> None:
        self.refuse_taken_ports(dict(self.replica(s, 0) for s in self.ports()))
        for service in self.ports():
            self.start_service(service)
        for service in self.ports():
            self.wait_ready(service, timeout)

    def wait_ready(self, service: str, timeout: float = 120.0, replica: int = 0) -> None:
        name, port = self.replica(service, replica)
        url = f"http://127.0.0.1:{port}/readyz"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=3) as resp:
                    if resp.status == 200:
                        log(f"{name} ready at http://127.0.0.1:{port}")
                        return
            except (urllib.error.URLError, OSError):
                pass
            if not self.running(name):
                raise SystemExit(f"{name} exited; see {self._logfile(name)}")
            time.sleep(0.3)
        raise SystemExit(f"{name} not ready after {timeout:.0f}s; see {self._logfile(name)}")

    def replicas(self, service: str) -> list[int]:
        """Indexes of the extra replicas of a service that have a pid file."""
        run = self.home / "run"
        names = {p.stem for p in run.glob(f"{service}-*.pid")} if run.exists() else set()
        return sorted(i for i in range(1, 100) if self.replica(service, i)[0] in names)

    def down(self) -> None:
        self.stop("supervisor")  # first: it would restart what is being stopped
        self.stop("prometheus")
        self.stop("console")
        for service in self.service_ports:
            for index in self.replicas(service):
                self.stop(self.replica(service, index)[0])
            self.stop(service)
        self.stop("kafka")
        self.stop("mongo")
        self.stop("mail")

    def status(self) -> dict[str, int | None]:
        names = [*self.ports(), "kafka", "mongo", "mail", "supervisor", "prometheus"]
        return {name: self.running(name) for name in names}

    def health(self, service: str, replica: int = 0) -> dict[str, Any] | None:
        """A service's /healthz answer (200 or 503 with what stalled), None if it answers not."""
        _, port = self.replica(service, replica)
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as resp:
                return json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            try:
                return json.loads(exc.read())
            except ValueError:
                return {"status": f"HTTP {exc.code}"}
        except (urllib.error.URLError, OSError, ValueError):
            return None

    def start_supervisor(self) -> None:
        self.spawn(
            "supervisor",
            [
                str(VENV_BIN / "python"),
                str(Path(__file__).resolve()),
                "supervise",
                "--name",
                self.name,
            ],
        )

    def supervise(
        self,
        every: float = 10.0,
        failures: int = 3,
        grace: float = 180.0,
        rounds: int | None = None,
        clock: Any = time,
    ) -> None:
        """Restart a running service whose liveness (/healthz) failed `failures` times in a
        row, as Kubernetes does with a liveness probe (period 10 s, threshold 3): a stalled
        consumer group or runner, or a process that stopped answering. One it restarted has
        `grace` seconds to answer at all. Processes stopped on purpose are left alone."""
        failed: dict[str, int] = {}
        restarted: dict[str, float] = {}
        while rounds is None or rounds > 0:
            rounds = None if rounds is None else rounds - 1
            for service in self.ports():
                for index in [0, *self.replicas(service)]:
                    name, _ = self.replica(service, index)
                    if self.running(name) is None:
                        continue
                    answer = self.health(service, index)
                    if answer is not None and answer.get("status") == "ok":
                        failed[name] = 0
                        continue
                    if answer is None and clock.monotonic() - restarted.get(name, -grace) < grace:
                        continue  # still starting
                    failed[name] = failed.get(name, 0) + 1
                    stalled = ", ".join((answer or {}).get("stalled") or [])
                    why = f"stalled: {stalled}" if stalled else "no answer"
                    log(f"{name} liveness failed ({why}), {failed[name]}/{failures}")
                    if failed[name] >= failures:
                        log(f"restarting {name}")
                        self.stop(name)
                        self.start_service(service, index)
                        failed[name], restarted[name] = 0, clock.monotonic()
            clock.sleep(every)


def build_secantus_rs() -> None:
    """`cargo install` SecantusDB's Rust daemon from the crate registry into the cache."""
    if SECANTUS_RS.exists():
        return
    if not shutil.which("cargo"):
        raise SystemExit("cargo is needed to build secantusd-rs; use LODESTONE_MONGO_DAEMON=py")
    log(f"building secantusd-rs {SECANTUS_RS_VERSION} from the crate registry (once, ~9 min)")
    subprocess.run(
        [
            "cargo",
            "install",
            "secantus-mdb",
            "--version",
            SECANTUS_RS_VERSION,
            "--locked",
            # The crate declares rustc 1.98; it builds and runs on the 1.95 toolchain here.
            "--ignore-rust-version",
            "--root",
            str(SECANTUS_RS.parent.parent),
        ],
        check=True,
    )


def build_mailpit() -> None:
    """`go install` Mailpit from the Go module proxy into the cache (once, ~3 min)."""
    if MAILPIT.exists():
        return
    if not shutil.which("go"):
        raise SystemExit("go is needed to build Mailpit; the Python catcher stands in")
    log(f"building Mailpit {MAILPIT_VERSION} from the Go module proxy (once, ~3 min)")
    subprocess.run(
        ["go", "install", f"github.com/axllent/mailpit@{MAILPIT_VERSION}"],
        env={**os.environ, "GOBIN": str(MAILPIT.parent)},
        check=True,
    )


class Mailbox:
    """What the catcher caught, the same from Mailpit's API or the Python catcher's: dicts
    with `rcpt_to`, `subject`, `headers` (unfolded), `text`, `html` and `received_at`, oldest
    first. Mailpit's messages are read whole once (raw, parsed here) and kept."""

    _boxes: dict[str, Mailbox] = {}

    def __init__(self, url: str) -> None:
        self.url = url
        self.mailpit: bool | None = None
        self.parsed: dict[str, dict[str, Any]] = {}

    @classmethod
    def at(cls, url: str) -> Mailbox:
        if url not in cls._boxes:
            cls._boxes[url] = cls(url)
        return cls._boxes[url]

    async def messages(self, to: str | None = None) -> list[dict[str, Any]]:
        import httpx

        async with httpx.AsyncClient(base_url=self.url, timeout=60) as http:
            if self.mailpit is None:
                self.mailpit = (await http.get("/api/v1/info")).status_code == 200
            if not self.mailpit:
                found = (await http.get("/api/messages", params={"to": to} if to else {})).json()
                return list(found)
            found = await self._mailpit(http)
        return [m for m in found if to is None or to in m["rcpt_to"]]

    async def _mailpit(self, http: Any) -> list[dict[str, Any]]:
        summaries: list[dict[str, Any]] = []
        while True:
            page = (
                await http.get("/api/v1/messages", params={"start": len(summaries), "limit": 1000})
            ).json()
            summaries += page["messages"]
            if len(summaries) >= page["messages_count"] or not page["messages"]:
                break
        found = []
        for summary in reversed(summaries):  # Mailpit lists the newest first
            if summary["ID"] not in self.parsed:
                raw = (await http.get(f"/api/v1/message/{summary['ID']}/raw")).content
                self.parsed[summary["ID"]] = _parsed(summary, raw)
            found.append(self.parsed[summary["ID"]])
        return found

    async def html_check(self, message: dict[str, Any]) -> dict[str, Any]:
        """Mailpit's check of a message's HTML against email clients' support."""
        import httpx

        async with httpx.AsyncClient(base_url=self.url, timeout=60) as http:
            answer = await http.get(f"/api/v1/message/{message['id']}/html-check")
            answer.raise_for_status()
            return dict(answer.json())


def _parsed(summary: dict[str, Any], raw: bytes) -> dict[str, Any]:
    import email
    import email.policy
    from datetime import UTC, datetime

    message = email.message_from_bytes(raw, policy=email.policy.default)
    body = message.get_body(preferencelist=("plain", "html"))
    html = message.get_body(preferencelist=("html",))
    created = datetime.fromisoformat(summary["Created"].replace("Z", "+00:00"))
    recipients = [r for f in ("To", "Cc", "Bcc") for r in summary.get(f) or []]
    return {
        "id": summary["ID"],
        "received_at": created.astimezone(UTC).isoformat(),
        "rcpt_to": [r["Address"] for r in recipients],
        "subject": str(message["subject"] or ""),
        "headers": {k: str(v).strip() for k, v in message.items()},
        "text": body.get_content() if body else "",
        "html": html.get_content() if html else None,
        "raw": raw,  # as received: what a DKIM check reads
    }


def _sync_on_commit() -> bool:
    return os.environ.get("LODESTONE_MONGO_SYNC_ON_COMMIT", "1") not in ("0", "false", "no")


def _alive(pid: int) -> bool:
    # Reap it first when it is our own child (tests spawn and stop in one process).
    try:
        reaped, _ = os.waitpid(pid, os.WNOHANG)
        if reaped == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_port(port: int, timeout: float, what: str, stack: Stack) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(port):
            return
        time.sleep(0.2)
    raise SystemExit(f"{what} did not open port {port} in {timeout:.0f}s; see {stack.home}/logs")


def create_topics(
    bootstrap: str, timeout: float, env: dict[str, str] | None = None, acls: bool = False
) -> None:
    """Every topic (and with `acls`, every principal's ACLs), as lodestone-topics does."""
    subprocess.run(
        [
            str(VENV_BIN / "python"),
            "-m",
            "lodestone_common.admin",
            "--bootstrap",
            bootstrap,
            "--timeout",
            str(timeout),
            *(["--acls"] if acls else []),
        ],
        check=True,
        env={**os.environ, **(env or {})},
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="stack.py", description="Start and stop Lodestone natively (no Docker needed)."
    )
    parser.add_argument(
        "command",
        choices=[
            "up",
            "down",
            "infra-up",
            "status",
            "supervise",
            "build-secantus-rs",
            "build-mailpit",
        ],
        help="what to do",
    )
    parser.add_argument("--name", default="dev", help="state folder under .local/ (default dev)")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for ready")
    args = parser.parse_args(argv)
    stack = Stack(name=args.name)
    if args.command == "up":
        started = time.monotonic()
        stack.infra_up(args.timeout)
        stack.services_up(args.timeout)
        log(f"all four services and the console ready in {time.monotonic() - started:.1f}s")
        log(f"console: http://127.0.0.1:{stack.console_port}/  (`make demo` adds a user per role)")
        log("  first admin: admin@lodestone.local / lodestone-admin (development only)")
        log(f"API key: {stack.api_key}  (set LODESTONE_API_KEY to choose your own)")
        api = "/api/v1/messages" if MAILPIT.exists() else "/api/messages"
        log(f"  mail       {stack.mail_url}{api}  (SMTP 127.0.0.1:{stack.smtp_port})")
        for service, port in stack.service_ports.items():
            log(f"  {service:10} http://127.0.0.1:{port}/docs   /asyncapi.json")
        if os.environ.get("OBSERVE") == "1":
            stack.start_prometheus()
            wait_port(stack.prometheus_port, args.timeout, "Prometheus", stack)
            log(f"  prometheus {stack.prometheus_url}/alerts  (Lodestone's alert rules)")
        if os.environ.get("LODESTONE_SUPERVISE", "1") != "0":
            stack.start_supervisor()
            log("  a supervisor restarts a stalled service (`make status` shows progress)")
    elif args.command == "infra-up":
        stack.infra_up(args.timeout)
        log(f"Kafka {stack.kafka_bootstrap}, MongoDB {stack.mongo_url}")
    elif args.command == "build-secantus-rs":
        build_secantus_rs()
        log(f"built {SECANTUS_RS}")
    elif args.command == "build-mailpit":
        build_mailpit()
        log(f"built {MAILPIT}")
    elif args.command == "down":
        stack.down()
    elif args.command == "supervise":
        stack.supervise()
    else:
        print_status(stack)
    return 0


def print_status(stack: Stack) -> None:
    """Each process, then each consumer group's and loop's work waiting and last progress."""
    for name, pid in stack.status().items():
        print(f"{name:12} {'pid ' + str(pid) if pid else 'not running'}")
    print(f"\n{'service':11} {'consumer group or loop':46} {'waiting':>8} {'progress':>10}  state")
    for service in stack.ports():
        if not stack.running(service):
            continue
        answer = stack.health(service)
        if answer is None:
            print(f"{service:11} {'(no answer)':46}")
            continue
        for check, p in (answer.get("progress") or {}).items():
            state = "STALLED" if p["stalled"] else "ok"
            print(
                f"{service:11} {check:46} {p['waiting']:>8} "
                f"{p['seconds_since_progress']:>8.0f}s ago  {state}"
            )


if __name__ == "__main__":
    sys.exit(main())
