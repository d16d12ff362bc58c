"""driftloop's exceptions, one tree for the whole public surface.

DriftloopError
 ├── ConfigError          a setting or CLI argument is invalid; the message names it
 ├── BrokerUnavailable    no Kafka broker answered at the configured address
 ├── PublishError         the broker did not acknowledge a published event
 ├── InvalidEvent         an event does not match the schema (raised before publishing)
 └── ServiceNotRunning    a command needs a running ``driftloop up`` and found none
"""


class DriftloopError(Exception):
    """Base class of every error driftloop raises on purpose."""


class ConfigError(DriftloopError):
    pass


class BrokerUnavailable(DriftloopError):
    pass


class PublishError(DriftloopError):
    pass


class InvalidEvent(DriftloopError):
    pass


class ServiceNotRunning(DriftloopError):
    pass
