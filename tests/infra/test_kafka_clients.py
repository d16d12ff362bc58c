"""Every Kafka client driftloop builds comes from ``infra.kafka.clients`` and carries the SASL/TLS settings.

The library classes are replaced inside the factory module by recorders, so the real code paths (publisher,
sink, retraining consumer, alert producer, lag reader, topic creation, Kafka job, alert tail) build their
clients without connecting; faust keeps its credentials on ``app.conf.broker_credentials``.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import datetime as dt
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth
from pydantic import ValidationError

from consumers.app import create_faust_app
from consumers.sink import Sink
from driftloop.publisher import Publisher
from infra.kafka import clients, ensure_topics, kafka_producer
from infra.kafka.lag import LagReader
from infra.settings import KafkaSettings, Settings
from monitor.alerting import alert_producer, tail_alerts
from retrain import KafkaRequestJob, RetrainService
from retrain.job import JobContext
from tests.conftest import REPO

BOOTSTRAP = "kafka-1.internal:9093,kafka-2.internal:9093"
CA_NAME = "driftloop test CA"
PASSWORD = "scram-password-1"


class Stopped(Exception):
    """Raised by a recorded client when the code goes on to use it: nothing ever connects."""


class InertClient:
    """What a recorder returns: closing is allowed, anything else stops the code path."""

    def close(self, *args: Any, **kwargs: Any) -> None:
        pass

    async def stop(self) -> None:
        pass

    def __getattr__(self, name: str) -> Any:
        raise Stopped(name)


class Recorder:
    """Stands in for one library class: records the arguments of every client built."""

    def __init__(self, library_class: str, built: list[tuple[str, tuple, dict[str, Any]]]) -> None:
        self.library_class = library_class
        self.built = built

    def __call__(self, *args: Any, **kwargs: Any) -> InertClient:
        self.built.append((self.library_class, args, kwargs))
        return InertClient()


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple, dict[str, Any]]]:
    records: list[tuple[str, tuple, dict[str, Any]]] = []
    for name in ("KafkaProducer", "KafkaConsumer", "KafkaAdminClient", "AIOKafkaConsumer"):
        monkeypatch.setattr(clients, name, Recorder(name, records))
    return records


@pytest.fixture
def ca_file(tmp_path: Path) -> Path:
    """A real self-signed CA certificate in PEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path = tmp_path / "kafka-ca.pem"
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return path


@pytest.fixture
def settings(tmp_path: Path, ca_file: Path) -> Settings:
    kafka = KafkaSettings(
        bootstrap_servers=BOOTSTRAP,
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username="driftloop",
        sasl_password=PASSWORD,
        ssl_cafile=ca_file,
    )
    return Settings(data_dir=tmp_path / "data", kafka=kafka)


def assert_trusts_test_ca(context: Any) -> None:
    assert isinstance(context, ssl.SSLContext)
    subjects = [dict(pair[0] for pair in cert["subject"]) for cert in context.get_ca_certs()]
    assert {"commonName": CA_NAME} in subjects


def assert_carries_security(library_class: str, kwargs: dict[str, Any], ca_file: Path) -> None:
    assert kwargs["bootstrap_servers"] == BOOTSTRAP.split(",")
    assert kwargs["security_protocol"] == "SASL_SSL"
    assert kwargs["sasl_mechanism"] == "SCRAM-SHA-512"
    assert kwargs["sasl_plain_username"] == "driftloop"
    assert kwargs["sasl_plain_password"] == PASSWORD
    if library_class == "AIOKafkaConsumer":
        assert_trusts_test_ca(kwargs["ssl_context"])
    else:
        assert kwargs["ssl_cafile"] == str(ca_file)


def publisher(settings: Settings) -> None:
    Publisher(BOOTSTRAP, settings)


def sink_consumer(settings: Settings) -> None:
    asyncio.run(Sink(settings, BOOTSTRAP, store=cast(Any, None)).run())


def retrain_alert_consumer(settings: Settings) -> None:
    service = RetrainService(settings, cast(Any, None), bootstrap_servers=BOOTSTRAP)
    try:
        service._consume()
    finally:
        service.shutdown()


def monitor_alert_producer(settings: Settings) -> None:
    alert_producer(settings, BOOTSTRAP)


def lag_reader(settings: Settings) -> None:
    LagReader(settings, BOOTSTRAP).read({settings.kafka.consumer_group: [settings.topic("inference")]})


def topic_creation(settings: Settings) -> None:
    ensure_topics(settings, BOOTSTRAP, timeout_s=1)


def kafka_retrain_job(settings: Settings) -> None:
    # The producer is used before the context is read, so no snapshot is needed to get that far.
    KafkaRequestJob(settings, BOOTSTRAP).run(cast(JobContext, None))


def cli_alert_tail(settings: Settings) -> None:
    tail_alerts(settings, BOOTSTRAP, limit=1)


CODE_PATHS: dict[str, tuple[Callable[[Settings], None], list[str]]] = {
    "publisher": (publisher, ["KafkaProducer"]),
    "sink": (sink_consumer, ["AIOKafkaConsumer"]),
    "retrain-alert-consumer": (retrain_alert_consumer, ["KafkaConsumer"]),
    "alert-producer": (monitor_alert_producer, ["KafkaProducer"]),
    "lag-reader": (lag_reader, ["KafkaAdminClient", "KafkaConsumer"]),
    "ensure-topics": (topic_creation, ["KafkaAdminClient"]),
    "kafka-retrain-job": (kafka_retrain_job, ["KafkaProducer"]),
    "tail-alerts": (cli_alert_tail, ["KafkaConsumer"]),
}


@pytest.mark.parametrize("path", list(CODE_PATHS))
def test_every_client_carries_the_sasl_and_tls_settings(path: str, built: list, settings: Settings, ca_file: Path):
    drive, expected_classes = CODE_PATHS[path]
    with contextlib.suppress(Stopped):  # each path stops at its client's first use
        drive(settings)
    assert [library_class for library_class, _, _ in built] == expected_classes
    for library_class, _, kwargs in built:
        assert_carries_security(library_class, kwargs, ca_file)


def test_the_faust_app_carries_the_sasl_and_tls_settings(settings: Settings):
    app = create_faust_app(settings, BOOTSTRAP)
    credentials = app.conf.broker_credentials
    assert [str(url) for url in app.conf.broker] == [f"kafka://{server}" for server in BOOTSTRAP.split(",")]
    assert (credentials.username, credentials.password) == ("driftloop", PASSWORD)
    assert_trusts_test_ca(credentials.ssl_context)
    auth = credentials_to_aiokafka_auth(credentials)  # what faust hands to its aiokafka clients
    assert (auth["security_protocol"], auth["sasl_mechanism"]) == ("SASL_SSL", "SCRAM-SHA-512")


def test_the_sink_consumer_reads_both_internal_topics_in_its_own_group(built: list, settings: Settings):
    with pytest.raises(Stopped):
        sink_consumer(settings)
    [(_, topics, kwargs)] = built
    assert topics == (settings.topic("scored"), settings.topic("dlq"))
    assert kwargs["group_id"] == settings.kafka.sink_group
    assert kwargs["enable_auto_commit"] is False


def test_a_use_cannot_replace_a_connection_setting(built: list, settings: Settings):
    with pytest.raises(TypeError, match="security_protocol is a connection setting"):
        kafka_producer(settings.kafka, BOOTSTRAP, security_protocol="PLAINTEXT")
    assert built == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        pytest.param({"security_protocol": "SASL_SSL"}, "needs sasl_mechanism", id="sasl-no-mechanism"),
        pytest.param({"sasl_mechanism": "PLAIN", "sasl_username": "u"}, "needs security_protocol", id="plaintext"),
        pytest.param(
            {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "PLAIN"}, "needs sasl_username", id="sasl-no-user"
        ),
    ],
)
def test_inconsistent_security_settings_are_refused_by_name(fields: dict, message: str):
    with pytest.raises(ValidationError, match=message):
        KafkaSettings(**fields)


# ---- nothing else builds Kafka clients ----------------------------------------------------------------------

CLIENT_CLASSES = {"KafkaProducer", "KafkaConsumer", "KafkaAdminClient", "AIOKafkaConsumer", "AIOKafkaProducer"}
FACTORY = REPO / "infra" / "kafka" / "clients.py"


def client_constructions(source: str) -> list[str]:
    """``line: call`` of each Kafka client construction and each faust app given broker options."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        broker_options = [kw.arg for kw in node.keywords if kw.arg == "broker" or (kw.arg or "").startswith("broker_")]
        if name in CLIENT_CLASSES or (name.endswith("App") and broker_options):
            found.append(f"{node.lineno}: {name}({', '.join(broker_options)})")
    return found


def test_the_check_finds_client_constructions():
    source = (
        "import faust, kafka\n"
        "kafka.KafkaConsumer('t', bootstrap_servers='b')\n"
        "AIOKafkaProducer(bootstrap_servers='b')\n"
        "faust.App('id', broker='kafka://b', broker_credentials=None)\n"
        "DriftloopApp('id', **faust_broker_options(kafka, 'b', broker_commit_interval=1.0))\n"
        "kafka_consumer(settings, 'b', group_id='g')\n"
    )
    assert client_constructions(source) == [
        "2: KafkaConsumer()",
        "3: AIOKafkaProducer()",
        "4: App(broker, broker_credentials)",
    ]


def test_kafka_clients_are_built_only_by_the_factory():
    modules = [
        path
        for path in REPO.rglob("*.py")
        if not any(part.startswith(".") for part in path.relative_to(REPO).parts) and path != FACTORY
    ]
    assert len(modules) > 100, "the walk missed the tree"
    outside = {
        str(path.relative_to(REPO)): found
        for path in modules
        if (found := client_constructions(path.read_text(encoding="utf-8")))
    }
    assert outside == {}, f"Kafka clients built outside infra/kafka/clients.py (use its factory): {outside}"
