import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Trigger(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRIGGER_UNSPECIFIED: _ClassVar[Trigger]
    TRIGGER_SCHEDULED: _ClassVar[Trigger]
    TRIGGER_MANUAL: _ClassVar[Trigger]
    TRIGGER_CATCH_UP: _ClassVar[Trigger]
    TRIGGER_RESTORE: _ClassVar[Trigger]
    TRIGGER_DRILL: _ClassVar[Trigger]
    TRIGGER_COMPACT: _ClassVar[Trigger]

class RunOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RUN_OUTCOME_UNSPECIFIED: _ClassVar[RunOutcome]
    RUN_OUTCOME_SUCCEEDED: _ClassVar[RunOutcome]
    RUN_OUTCOME_PARTIAL: _ClassVar[RunOutcome]
    RUN_OUTCOME_FAILED: _ClassVar[RunOutcome]
    RUN_OUTCOME_INTERRUPTED: _ClassVar[RunOutcome]
    RUN_OUTCOME_RUNNING: _ClassVar[RunOutcome]

class Consistency(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONSISTENCY_UNSPECIFIED: _ClassVar[Consistency]
    CONSISTENCY_CLEAN: _ClassVar[Consistency]
    CONSISTENCY_DIRTY: _ClassVar[Consistency]

class TableOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TABLE_OUTCOME_UNSPECIFIED: _ClassVar[TableOutcome]
    TABLE_OUTCOME_SUCCEEDED: _ClassVar[TableOutcome]
    TABLE_OUTCOME_FAILED: _ClassVar[TableOutcome]
    TABLE_OUTCOME_SKIPPED: _ClassVar[TableOutcome]

class ScrubOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SCRUB_OUTCOME_UNSPECIFIED: _ClassVar[ScrubOutcome]
    SCRUB_OUTCOME_INTACT: _ClassVar[ScrubOutcome]
    SCRUB_OUTCOME_CORRUPT: _ClassVar[ScrubOutcome]
    SCRUB_OUTCOME_ALREADY_CORRUPT: _ClassVar[ScrubOutcome]
    SCRUB_OUTCOME_UNREADABLE: _ClassVar[ScrubOutcome]

class HealthView(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    HEALTH_VIEW_UNSPECIFIED: _ClassVar[HealthView]
    HEALTH_VIEW_FULL: _ClassVar[HealthView]
    HEALTH_VIEW_SUMMARY: _ClassVar[HealthView]

class HealthStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    HEALTH_STATUS_UNSPECIFIED: _ClassVar[HealthStatus]
    HEALTH_STATUS_HEALTHY: _ClassVar[HealthStatus]
    HEALTH_STATUS_WARNING: _ClassVar[HealthStatus]
    HEALTH_STATUS_CRITICAL: _ClassVar[HealthStatus]

class TableRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TABLE_ROLE_UNSPECIFIED: _ClassVar[TableRole]
    TABLE_ROLE_CRITICAL: _ClassVar[TableRole]
    TABLE_ROLE_LISTED: _ClassVar[TableRole]
    TABLE_ROLE_DISCOVERED: _ClassVar[TableRole]
    TABLE_ROLE_ORPHANED: _ClassVar[TableRole]

class IssueCode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ISSUE_CODE_UNSPECIFIED: _ClassVar[IssueCode]
    ISSUE_CODE_BACKUP_STALE: _ClassVar[IssueCode]
    ISSUE_CODE_NEVER_BACKED_UP: _ClassVar[IssueCode]
    ISSUE_CODE_FRAGMENTATION_HIGH: _ClassVar[IssueCode]
    ISSUE_CODE_LAST_BACKUP_FAILED: _ClassVar[IssueCode]
    ISSUE_CODE_LAST_BACKUP_DIRTY: _ClassVar[IssueCode]
    ISSUE_CODE_TABLE_MISSING: _ClassVar[IssueCode]
    ISSUE_CODE_TABLE_UNREADABLE: _ClassVar[IssueCode]
    ISSUE_CODE_BACKUP_DISK_LOW: _ClassVar[IssueCode]
    ISSUE_CODE_ERLANG_NODE_UNREACHABLE: _ClassVar[IssueCode]
    ISSUE_CODE_SCHEDULER_STOPPED: _ClassVar[IssueCode]
    ISSUE_CODE_BACKUP_CORRUPT: _ClassVar[IssueCode]
    ISSUE_CODE_DATA_DIR_UNREADABLE: _ClassVar[IssueCode]
    ISSUE_CODE_CLOCK_SKEW: _ClassVar[IssueCode]
    ISSUE_CODE_RESTORE_DRILL_FAILED: _ClassVar[IssueCode]
    ISSUE_CODE_DRILL_STALE: _ClassVar[IssueCode]
    ISSUE_CODE_NEVER_DRILLED: _ClassVar[IssueCode]
    ISSUE_CODE_SIZE_LIMIT_NEAR: _ClassVar[IssueCode]
    ISSUE_CODE_OFFSITE_LAGGING: _ClassVar[IssueCode]
    ISSUE_CODE_OFFSITE_FAILED: _ClassVar[IssueCode]

class DrillLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DRILL_LEVEL_UNSPECIFIED: _ClassVar[DrillLevel]
    DRILL_LEVEL_READER: _ClassVar[DrillLevel]
    DRILL_LEVEL_ERLANG: _ClassVar[DrillLevel]

class EventKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EVENT_KIND_UNSPECIFIED: _ClassVar[EventKind]
    EVENT_KIND_RUN_STARTED: _ClassVar[EventKind]
    EVENT_KIND_TABLE_BACKED_UP: _ClassVar[EventKind]
    EVENT_KIND_TABLE_BACKUP_FAILED: _ClassVar[EventKind]
    EVENT_KIND_RUN_FINISHED: _ClassVar[EventKind]
    EVENT_KIND_HEALTH_CHANGED: _ClassVar[EventKind]
    EVENT_KIND_HEARTBEAT: _ClassVar[EventKind]
    EVENT_KIND_RESYNC_REQUIRED: _ClassVar[EventKind]
    EVENT_KIND_RESTORE_STARTED: _ClassVar[EventKind]
    EVENT_KIND_RESTORE_FINISHED: _ClassVar[EventKind]
    EVENT_KIND_TABLE_DRILLED: _ClassVar[EventKind]
    EVENT_KIND_TABLE_COMPACTED: _ClassVar[EventKind]
    EVENT_KIND_OFFSITE_COPIED: _ClassVar[EventKind]
    EVENT_KIND_OFFSITE_FAILED: _ClassVar[EventKind]
TRIGGER_UNSPECIFIED: Trigger
TRIGGER_SCHEDULED: Trigger
TRIGGER_MANUAL: Trigger
TRIGGER_CATCH_UP: Trigger
TRIGGER_RESTORE: Trigger
TRIGGER_DRILL: Trigger
TRIGGER_COMPACT: Trigger
RUN_OUTCOME_UNSPECIFIED: RunOutcome
RUN_OUTCOME_SUCCEEDED: RunOutcome
RUN_OUTCOME_PARTIAL: RunOutcome
RUN_OUTCOME_FAILED: RunOutcome
RUN_OUTCOME_INTERRUPTED: RunOutcome
RUN_OUTCOME_RUNNING: RunOutcome
CONSISTENCY_UNSPECIFIED: Consistency
CONSISTENCY_CLEAN: Consistency
CONSISTENCY_DIRTY: Consistency
TABLE_OUTCOME_UNSPECIFIED: TableOutcome
TABLE_OUTCOME_SUCCEEDED: TableOutcome
TABLE_OUTCOME_FAILED: TableOutcome
TABLE_OUTCOME_SKIPPED: TableOutcome
SCRUB_OUTCOME_UNSPECIFIED: ScrubOutcome
SCRUB_OUTCOME_INTACT: ScrubOutcome
SCRUB_OUTCOME_CORRUPT: ScrubOutcome
SCRUB_OUTCOME_ALREADY_CORRUPT: ScrubOutcome
SCRUB_OUTCOME_UNREADABLE: ScrubOutcome
HEALTH_VIEW_UNSPECIFIED: HealthView
HEALTH_VIEW_FULL: HealthView
HEALTH_VIEW_SUMMARY: HealthView
HEALTH_STATUS_UNSPECIFIED: HealthStatus
HEALTH_STATUS_HEALTHY: HealthStatus
HEALTH_STATUS_WARNING: HealthStatus
HEALTH_STATUS_CRITICAL: HealthStatus
TABLE_ROLE_UNSPECIFIED: TableRole
TABLE_ROLE_CRITICAL: TableRole
TABLE_ROLE_LISTED: TableRole
TABLE_ROLE_DISCOVERED: TableRole
TABLE_ROLE_ORPHANED: TableRole
ISSUE_CODE_UNSPECIFIED: IssueCode
ISSUE_CODE_BACKUP_STALE: IssueCode
ISSUE_CODE_NEVER_BACKED_UP: IssueCode
ISSUE_CODE_FRAGMENTATION_HIGH: IssueCode
ISSUE_CODE_LAST_BACKUP_FAILED: IssueCode
ISSUE_CODE_LAST_BACKUP_DIRTY: IssueCode
ISSUE_CODE_TABLE_MISSING: IssueCode
ISSUE_CODE_TABLE_UNREADABLE: IssueCode
ISSUE_CODE_BACKUP_DISK_LOW: IssueCode
ISSUE_CODE_ERLANG_NODE_UNREACHABLE: IssueCode
ISSUE_CODE_SCHEDULER_STOPPED: IssueCode
ISSUE_CODE_BACKUP_CORRUPT: IssueCode
ISSUE_CODE_DATA_DIR_UNREADABLE: IssueCode
ISSUE_CODE_CLOCK_SKEW: IssueCode
ISSUE_CODE_RESTORE_DRILL_FAILED: IssueCode
ISSUE_CODE_DRILL_STALE: IssueCode
ISSUE_CODE_NEVER_DRILLED: IssueCode
ISSUE_CODE_SIZE_LIMIT_NEAR: IssueCode
ISSUE_CODE_OFFSITE_LAGGING: IssueCode
ISSUE_CODE_OFFSITE_FAILED: IssueCode
DRILL_LEVEL_UNSPECIFIED: DrillLevel
DRILL_LEVEL_READER: DrillLevel
DRILL_LEVEL_ERLANG: DrillLevel
EVENT_KIND_UNSPECIFIED: EventKind
EVENT_KIND_RUN_STARTED: EventKind
EVENT_KIND_TABLE_BACKED_UP: EventKind
EVENT_KIND_TABLE_BACKUP_FAILED: EventKind
EVENT_KIND_RUN_FINISHED: EventKind
EVENT_KIND_HEALTH_CHANGED: EventKind
EVENT_KIND_HEARTBEAT: EventKind
EVENT_KIND_RESYNC_REQUIRED: EventKind
EVENT_KIND_RESTORE_STARTED: EventKind
EVENT_KIND_RESTORE_FINISHED: EventKind
EVENT_KIND_TABLE_DRILLED: EventKind
EVENT_KIND_TABLE_COMPACTED: EventKind
EVENT_KIND_OFFSITE_COPIED: EventKind
EVENT_KIND_OFFSITE_FAILED: EventKind

class CompactTableRequest(_message.Message):
    __slots__ = ("table", "force", "dry_run")
    TABLE_FIELD_NUMBER: _ClassVar[int]
    FORCE_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    table: str
    force: bool
    dry_run: bool
    def __init__(self, table: _Optional[str] = ..., force: _Optional[bool] = ..., dry_run: _Optional[bool] = ...) -> None: ...

class CompactionPlan(_message.Message):
    __slots__ = ("table", "path", "file_size", "free_bytes", "fragmentation_ratio", "threshold", "forced", "expected_size", "objects", "backup")
    TABLE_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    FILE_SIZE_FIELD_NUMBER: _ClassVar[int]
    FREE_BYTES_FIELD_NUMBER: _ClassVar[int]
    FRAGMENTATION_RATIO_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    FORCED_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_SIZE_FIELD_NUMBER: _ClassVar[int]
    OBJECTS_FIELD_NUMBER: _ClassVar[int]
    BACKUP_FIELD_NUMBER: _ClassVar[int]
    table: str
    path: str
    file_size: int
    free_bytes: int
    fragmentation_ratio: float
    threshold: float
    forced: bool
    expected_size: int
    objects: int
    backup: str
    def __init__(self, table: _Optional[str] = ..., path: _Optional[str] = ..., file_size: _Optional[int] = ..., free_bytes: _Optional[int] = ..., fragmentation_ratio: _Optional[float] = ..., threshold: _Optional[float] = ..., forced: _Optional[bool] = ..., expected_size: _Optional[int] = ..., objects: _Optional[int] = ..., backup: _Optional[str] = ...) -> None: ...

class CompactTableResponse(_message.Message):
    __slots__ = ("plan", "compacted", "run_id", "file_size", "reclaimed_bytes", "safety_copy", "duration")
    PLAN_FIELD_NUMBER: _ClassVar[int]
    COMPACTED_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    FILE_SIZE_FIELD_NUMBER: _ClassVar[int]
    RECLAIMED_BYTES_FIELD_NUMBER: _ClassVar[int]
    SAFETY_COPY_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    plan: CompactionPlan
    compacted: bool
    run_id: str
    file_size: int
    reclaimed_bytes: int
    safety_copy: str
    duration: _duration_pb2.Duration
    def __init__(self, plan: _Optional[_Union[CompactionPlan, _Mapping]] = ..., compacted: _Optional[bool] = ..., run_id: _Optional[str] = ..., file_size: _Optional[int] = ..., reclaimed_bytes: _Optional[int] = ..., safety_copy: _Optional[str] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class TriggerBackupRequest(_message.Message):
    __slots__ = ("tables", "reason")
    TABLES_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    tables: _containers.RepeatedScalarFieldContainer[str]
    reason: str
    def __init__(self, tables: _Optional[_Iterable[str]] = ..., reason: _Optional[str] = ...) -> None: ...

class TriggerBackupResponse(_message.Message):
    __slots__ = ("run", "joined_existing_run")
    RUN_FIELD_NUMBER: _ClassVar[int]
    JOINED_EXISTING_RUN_FIELD_NUMBER: _ClassVar[int]
    run: BackupRun
    joined_existing_run: bool
    def __init__(self, run: _Optional[_Union[BackupRun, _Mapping]] = ..., joined_existing_run: _Optional[bool] = ...) -> None: ...

class BackupRun(_message.Message):
    __slots__ = ("run_id", "trigger", "started_at", "finished_at", "outcome", "tables", "reason", "joined_reasons", "errors", "succeeded", "failed", "skipped", "results_omitted")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    TABLES_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    JOINED_REASONS_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    SUCCEEDED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    RESULTS_OMITTED_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    trigger: Trigger
    started_at: _timestamp_pb2.Timestamp
    finished_at: _timestamp_pb2.Timestamp
    outcome: RunOutcome
    tables: _containers.RepeatedCompositeFieldContainer[TableBackupResult]
    reason: str
    joined_reasons: _containers.RepeatedScalarFieldContainer[str]
    errors: _containers.RepeatedScalarFieldContainer[str]
    succeeded: int
    failed: int
    skipped: int
    results_omitted: bool
    def __init__(self, run_id: _Optional[str] = ..., trigger: _Optional[_Union[Trigger, str]] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finished_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., outcome: _Optional[_Union[RunOutcome, str]] = ..., tables: _Optional[_Iterable[_Union[TableBackupResult, _Mapping]]] = ..., reason: _Optional[str] = ..., joined_reasons: _Optional[_Iterable[str]] = ..., errors: _Optional[_Iterable[str]] = ..., succeeded: _Optional[int] = ..., failed: _Optional[int] = ..., skipped: _Optional[int] = ..., results_omitted: _Optional[bool] = ...) -> None: ...

class TableBackupResult(_message.Message):
    __slots__ = ("table", "outcome", "file_name", "bytes", "records", "keys", "consistency", "sha256", "duration", "error_code", "error_message", "pruned", "attempts", "digest")
    TABLE_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    BYTES_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    KEYS_FIELD_NUMBER: _ClassVar[int]
    CONSISTENCY_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    PRUNED_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    table: str
    outcome: TableOutcome
    file_name: str
    bytes: int
    records: int
    keys: int
    consistency: Consistency
    sha256: str
    duration: _duration_pb2.Duration
    error_code: str
    error_message: str
    pruned: _containers.RepeatedScalarFieldContainer[str]
    attempts: int
    digest: ContentDigest
    def __init__(self, table: _Optional[str] = ..., outcome: _Optional[_Union[TableOutcome, str]] = ..., file_name: _Optional[str] = ..., bytes: _Optional[int] = ..., records: _Optional[int] = ..., keys: _Optional[int] = ..., consistency: _Optional[_Union[Consistency, str]] = ..., sha256: _Optional[str] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., error_code: _Optional[str] = ..., error_message: _Optional[str] = ..., pruned: _Optional[_Iterable[str]] = ..., attempts: _Optional[int] = ..., digest: _Optional[_Union[ContentDigest, _Mapping]] = ...) -> None: ...

class ContentDigest(_message.Message):
    __slots__ = ("objects", "phash2_sum")
    OBJECTS_FIELD_NUMBER: _ClassVar[int]
    PHASH2_SUM_FIELD_NUMBER: _ClassVar[int]
    objects: int
    phash2_sum: int
    def __init__(self, objects: _Optional[int] = ..., phash2_sum: _Optional[int] = ...) -> None: ...

class ListBackupsRequest(_message.Message):
    __slots__ = ("table", "safety_copies", "offsite")
    TABLE_FIELD_NUMBER: _ClassVar[int]
    SAFETY_COPIES_FIELD_NUMBER: _ClassVar[int]
    OFFSITE_FIELD_NUMBER: _ClassVar[int]
    table: str
    safety_copies: bool
    offsite: bool
    def __init__(self, table: _Optional[str] = ..., safety_copies: _Optional[bool] = ..., offsite: _Optional[bool] = ...) -> None: ...

class ListBackupsResponse(_message.Message):
    __slots__ = ("backups",)
    BACKUPS_FIELD_NUMBER: _ClassVar[int]
    backups: _containers.RepeatedCompositeFieldContainer[BackupFile]
    def __init__(self, backups: _Optional[_Iterable[_Union[BackupFile, _Mapping]]] = ...) -> None: ...

class BackupFile(_message.Message):
    __slots__ = ("file_name", "table", "captured_at", "bytes", "records", "consistency", "verified", "sha256", "keys", "digest", "corrupt_reason", "destination", "object", "uploaded_at")
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    CAPTURED_AT_FIELD_NUMBER: _ClassVar[int]
    BYTES_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    CONSISTENCY_FIELD_NUMBER: _ClassVar[int]
    VERIFIED_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    KEYS_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    CORRUPT_REASON_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    OBJECT_FIELD_NUMBER: _ClassVar[int]
    UPLOADED_AT_FIELD_NUMBER: _ClassVar[int]
    file_name: str
    table: str
    captured_at: _timestamp_pb2.Timestamp
    bytes: int
    records: int
    consistency: Consistency
    verified: bool
    sha256: str
    keys: int
    digest: ContentDigest
    corrupt_reason: str
    destination: str
    object: str
    uploaded_at: _timestamp_pb2.Timestamp
    def __init__(self, file_name: _Optional[str] = ..., table: _Optional[str] = ..., captured_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., bytes: _Optional[int] = ..., records: _Optional[int] = ..., consistency: _Optional[_Union[Consistency, str]] = ..., verified: _Optional[bool] = ..., sha256: _Optional[str] = ..., keys: _Optional[int] = ..., digest: _Optional[_Union[ContentDigest, _Mapping]] = ..., corrupt_reason: _Optional[str] = ..., destination: _Optional[str] = ..., object: _Optional[str] = ..., uploaded_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ScrubBackupsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ScrubBackupsResponse(_message.Message):
    __slots__ = ("started_at", "finished_at", "backups")
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    BACKUPS_FIELD_NUMBER: _ClassVar[int]
    started_at: _timestamp_pb2.Timestamp
    finished_at: _timestamp_pb2.Timestamp
    backups: _containers.RepeatedCompositeFieldContainer[ScrubbedBackup]
    def __init__(self, started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finished_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., backups: _Optional[_Iterable[_Union[ScrubbedBackup, _Mapping]]] = ...) -> None: ...

class ScrubbedBackup(_message.Message):
    __slots__ = ("table", "file_name", "outcome", "message")
    TABLE_FIELD_NUMBER: _ClassVar[int]
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    table: str
    file_name: str
    outcome: ScrubOutcome
    message: str
    def __init__(self, table: _Optional[str] = ..., file_name: _Optional[str] = ..., outcome: _Optional[_Union[ScrubOutcome, str]] = ..., message: _Optional[str] = ...) -> None: ...

class ListRunsRequest(_message.Message):
    __slots__ = ("limit",)
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    limit: int
    def __init__(self, limit: _Optional[int] = ...) -> None: ...

class ListRunsResponse(_message.Message):
    __slots__ = ("runs",)
    RUNS_FIELD_NUMBER: _ClassVar[int]
    runs: _containers.RepeatedCompositeFieldContainer[BackupRun]
    def __init__(self, runs: _Optional[_Iterable[_Union[BackupRun, _Mapping]]] = ...) -> None: ...

class RestoreBackupRequest(_message.Message):
    __slots__ = ("table", "backup", "as_of", "to_path", "in_place", "force", "allow_dirty", "dry_run")
    TABLE_FIELD_NUMBER: _ClassVar[int]
    BACKUP_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    TO_PATH_FIELD_NUMBER: _ClassVar[int]
    IN_PLACE_FIELD_NUMBER: _ClassVar[int]
    FORCE_FIELD_NUMBER: _ClassVar[int]
    ALLOW_DIRTY_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    table: str
    backup: str
    as_of: _timestamp_pb2.Timestamp
    to_path: str
    in_place: bool
    force: bool
    allow_dirty: bool
    dry_run: bool
    def __init__(self, table: _Optional[str] = ..., backup: _Optional[str] = ..., as_of: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., to_path: _Optional[str] = ..., in_place: _Optional[bool] = ..., force: _Optional[bool] = ..., allow_dirty: _Optional[bool] = ..., dry_run: _Optional[bool] = ...) -> None: ...

class RestorePlan(_message.Message):
    __slots__ = ("table", "backup", "captured_at", "age", "consistency", "records", "digest", "sha256", "bytes", "target", "overwrites", "overwritten_bytes", "safety_copy", "warnings")
    TABLE_FIELD_NUMBER: _ClassVar[int]
    BACKUP_FIELD_NUMBER: _ClassVar[int]
    CAPTURED_AT_FIELD_NUMBER: _ClassVar[int]
    AGE_FIELD_NUMBER: _ClassVar[int]
    CONSISTENCY_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    BYTES_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    OVERWRITES_FIELD_NUMBER: _ClassVar[int]
    OVERWRITTEN_BYTES_FIELD_NUMBER: _ClassVar[int]
    SAFETY_COPY_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    table: str
    backup: str
    captured_at: _timestamp_pb2.Timestamp
    age: _duration_pb2.Duration
    consistency: Consistency
    records: int
    digest: ContentDigest
    sha256: str
    bytes: int
    target: str
    overwrites: bool
    overwritten_bytes: int
    safety_copy: str
    warnings: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, table: _Optional[str] = ..., backup: _Optional[str] = ..., captured_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., age: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., consistency: _Optional[_Union[Consistency, str]] = ..., records: _Optional[int] = ..., digest: _Optional[_Union[ContentDigest, _Mapping]] = ..., sha256: _Optional[str] = ..., bytes: _Optional[int] = ..., target: _Optional[str] = ..., overwrites: _Optional[bool] = ..., overwritten_bytes: _Optional[int] = ..., safety_copy: _Optional[str] = ..., warnings: _Optional[_Iterable[str]] = ...) -> None: ...

class RestoreBackupResponse(_message.Message):
    __slots__ = ("plan", "restored", "run_id", "duration")
    PLAN_FIELD_NUMBER: _ClassVar[int]
    RESTORED_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    plan: RestorePlan
    restored: bool
    run_id: str
    duration: _duration_pb2.Duration
    def __init__(self, plan: _Optional[_Union[RestorePlan, _Mapping]] = ..., restored: _Optional[bool] = ..., run_id: _Optional[str] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class RemoveSafetyCopyRequest(_message.Message):
    __slots__ = ("file",)
    FILE_FIELD_NUMBER: _ClassVar[int]
    file: str
    def __init__(self, file: _Optional[str] = ...) -> None: ...

class RemoveSafetyCopyResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RunDrillRequest(_message.Message):
    __slots__ = ("tables",)
    TABLES_FIELD_NUMBER: _ClassVar[int]
    tables: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, tables: _Optional[_Iterable[str]] = ...) -> None: ...

class TableDrill(_message.Message):
    __slots__ = ("table", "passed", "level", "backup", "records", "digest", "at", "error_code", "error_message")
    TABLE_FIELD_NUMBER: _ClassVar[int]
    PASSED_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    BACKUP_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    table: str
    passed: bool
    level: DrillLevel
    backup: str
    records: int
    digest: ContentDigest
    at: _timestamp_pb2.Timestamp
    error_code: str
    error_message: str
    def __init__(self, table: _Optional[str] = ..., passed: _Optional[bool] = ..., level: _Optional[_Union[DrillLevel, str]] = ..., backup: _Optional[str] = ..., records: _Optional[int] = ..., digest: _Optional[_Union[ContentDigest, _Mapping]] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., error_code: _Optional[str] = ..., error_message: _Optional[str] = ...) -> None: ...

class RunDrillResponse(_message.Message):
    __slots__ = ("run_id", "tables")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    TABLES_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    tables: _containers.RepeatedCompositeFieldContainer[TableDrill]
    def __init__(self, run_id: _Optional[str] = ..., tables: _Optional[_Iterable[_Union[TableDrill, _Mapping]]] = ...) -> None: ...

class GetHealthRequest(_message.Message):
    __slots__ = ("refresh", "view", "if_none_match", "page_size", "page_token")
    REFRESH_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    IF_NONE_MATCH_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    refresh: bool
    view: HealthView
    if_none_match: str
    page_size: int
    page_token: str
    def __init__(self, refresh: _Optional[bool] = ..., view: _Optional[_Union[HealthView, str]] = ..., if_none_match: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class HealthIssue(_message.Message):
    __slots__ = ("code", "severity", "table", "message")
    CODE_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    code: IssueCode
    severity: HealthStatus
    table: str
    message: str
    def __init__(self, code: _Optional[_Union[IssueCode, str]] = ..., severity: _Optional[_Union[HealthStatus, str]] = ..., table: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class ComponentHealth(_message.Message):
    __slots__ = ("name", "status", "issues", "detail")
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ISSUES_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    name: str
    status: HealthStatus
    issues: _containers.RepeatedCompositeFieldContainer[HealthIssue]
    detail: str
    def __init__(self, name: _Optional[str] = ..., status: _Optional[_Union[HealthStatus, str]] = ..., issues: _Optional[_Iterable[_Union[HealthIssue, _Mapping]]] = ..., detail: _Optional[str] = ...) -> None: ...

class TableHealth(_message.Message):
    __slots__ = ("name", "path", "role", "status", "issues", "type", "records", "keys", "file_size_bytes", "free_bytes", "fragmentation_ratio", "closed_properly", "last_backup_at", "since_last_backup", "last_backup_consistency", "last_attempt_outcome", "backups_retained", "last_drill_at", "last_drill_passed", "last_drill_level", "offsite")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ISSUES_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    KEYS_FIELD_NUMBER: _ClassVar[int]
    FILE_SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    FREE_BYTES_FIELD_NUMBER: _ClassVar[int]
    FRAGMENTATION_RATIO_FIELD_NUMBER: _ClassVar[int]
    CLOSED_PROPERLY_FIELD_NUMBER: _ClassVar[int]
    LAST_BACKUP_AT_FIELD_NUMBER: _ClassVar[int]
    SINCE_LAST_BACKUP_FIELD_NUMBER: _ClassVar[int]
    LAST_BACKUP_CONSISTENCY_FIELD_NUMBER: _ClassVar[int]
    LAST_ATTEMPT_OUTCOME_FIELD_NUMBER: _ClassVar[int]
    BACKUPS_RETAINED_FIELD_NUMBER: _ClassVar[int]
    LAST_DRILL_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_DRILL_PASSED_FIELD_NUMBER: _ClassVar[int]
    LAST_DRILL_LEVEL_FIELD_NUMBER: _ClassVar[int]
    OFFSITE_FIELD_NUMBER: _ClassVar[int]
    name: str
    path: str
    role: TableRole
    status: HealthStatus
    issues: _containers.RepeatedCompositeFieldContainer[HealthIssue]
    type: str
    records: int
    keys: int
    file_size_bytes: int
    free_bytes: int
    fragmentation_ratio: float
    closed_properly: bool
    last_backup_at: _timestamp_pb2.Timestamp
    since_last_backup: _duration_pb2.Duration
    last_backup_consistency: Consistency
    last_attempt_outcome: TableOutcome
    backups_retained: int
    last_drill_at: _timestamp_pb2.Timestamp
    last_drill_passed: bool
    last_drill_level: DrillLevel
    offsite: _containers.RepeatedCompositeFieldContainer[OffsiteStatus]
    def __init__(self, name: _Optional[str] = ..., path: _Optional[str] = ..., role: _Optional[_Union[TableRole, str]] = ..., status: _Optional[_Union[HealthStatus, str]] = ..., issues: _Optional[_Iterable[_Union[HealthIssue, _Mapping]]] = ..., type: _Optional[str] = ..., records: _Optional[int] = ..., keys: _Optional[int] = ..., file_size_bytes: _Optional[int] = ..., free_bytes: _Optional[int] = ..., fragmentation_ratio: _Optional[float] = ..., closed_properly: _Optional[bool] = ..., last_backup_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., since_last_backup: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., last_backup_consistency: _Optional[_Union[Consistency, str]] = ..., last_attempt_outcome: _Optional[_Union[TableOutcome, str]] = ..., backups_retained: _Optional[int] = ..., last_drill_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_drill_passed: _Optional[bool] = ..., last_drill_level: _Optional[_Union[DrillLevel, str]] = ..., offsite: _Optional[_Iterable[_Union[OffsiteStatus, _Mapping]]] = ...) -> None: ...

class OffsiteStatus(_message.Message):
    __slots__ = ("destination", "last_copy_at", "since_last_copy", "copies", "pending", "last_error")
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    LAST_COPY_AT_FIELD_NUMBER: _ClassVar[int]
    SINCE_LAST_COPY_FIELD_NUMBER: _ClassVar[int]
    COPIES_FIELD_NUMBER: _ClassVar[int]
    PENDING_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    destination: str
    last_copy_at: _timestamp_pb2.Timestamp
    since_last_copy: _duration_pb2.Duration
    copies: int
    pending: int
    last_error: str
    def __init__(self, destination: _Optional[str] = ..., last_copy_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., since_last_copy: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., copies: _Optional[int] = ..., pending: _Optional[int] = ..., last_error: _Optional[str] = ...) -> None: ...

class GetHealthResponse(_message.Message):
    __slots__ = ("status", "computed_at", "components", "tables", "snapshot_id", "unchanged", "next_page_token", "total_tables", "data_dir")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    COMPUTED_AT_FIELD_NUMBER: _ClassVar[int]
    COMPONENTS_FIELD_NUMBER: _ClassVar[int]
    TABLES_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_ID_FIELD_NUMBER: _ClassVar[int]
    UNCHANGED_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_TABLES_FIELD_NUMBER: _ClassVar[int]
    DATA_DIR_FIELD_NUMBER: _ClassVar[int]
    status: HealthStatus
    computed_at: _timestamp_pb2.Timestamp
    components: _containers.RepeatedCompositeFieldContainer[ComponentHealth]
    tables: _containers.RepeatedCompositeFieldContainer[TableHealth]
    snapshot_id: str
    unchanged: bool
    next_page_token: str
    total_tables: int
    data_dir: str
    def __init__(self, status: _Optional[_Union[HealthStatus, str]] = ..., computed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., components: _Optional[_Iterable[_Union[ComponentHealth, _Mapping]]] = ..., tables: _Optional[_Iterable[_Union[TableHealth, _Mapping]]] = ..., snapshot_id: _Optional[str] = ..., unchanged: _Optional[bool] = ..., next_page_token: _Optional[str] = ..., total_tables: _Optional[int] = ..., data_dir: _Optional[str] = ...) -> None: ...

class WatchEventsRequest(_message.Message):
    __slots__ = ("after_sequence", "epoch", "kinds", "tables")
    AFTER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    KINDS_FIELD_NUMBER: _ClassVar[int]
    TABLES_FIELD_NUMBER: _ClassVar[int]
    after_sequence: int
    epoch: str
    kinds: _containers.RepeatedScalarFieldContainer[EventKind]
    tables: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, after_sequence: _Optional[int] = ..., epoch: _Optional[str] = ..., kinds: _Optional[_Iterable[_Union[EventKind, str]]] = ..., tables: _Optional[_Iterable[str]] = ...) -> None: ...

class Event(_message.Message):
    __slots__ = ("sequence", "epoch", "at", "run_started", "table_backed_up", "table_backup_failed", "run_finished", "health_changed", "heartbeat", "resync_required", "restore_started", "restore_finished", "table_drilled", "table_compacted", "offsite_copied", "offsite_failed")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    RUN_STARTED_FIELD_NUMBER: _ClassVar[int]
    TABLE_BACKED_UP_FIELD_NUMBER: _ClassVar[int]
    TABLE_BACKUP_FAILED_FIELD_NUMBER: _ClassVar[int]
    RUN_FINISHED_FIELD_NUMBER: _ClassVar[int]
    HEALTH_CHANGED_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    RESYNC_REQUIRED_FIELD_NUMBER: _ClassVar[int]
    RESTORE_STARTED_FIELD_NUMBER: _ClassVar[int]
    RESTORE_FINISHED_FIELD_NUMBER: _ClassVar[int]
    TABLE_DRILLED_FIELD_NUMBER: _ClassVar[int]
    TABLE_COMPACTED_FIELD_NUMBER: _ClassVar[int]
    OFFSITE_COPIED_FIELD_NUMBER: _ClassVar[int]
    OFFSITE_FAILED_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    epoch: str
    at: _timestamp_pb2.Timestamp
    run_started: RunStarted
    table_backed_up: TableBackedUp
    table_backup_failed: TableBackupFailed
    run_finished: RunFinished
    health_changed: HealthChanged
    heartbeat: Heartbeat
    resync_required: ResyncRequired
    restore_started: RestoreStarted
    restore_finished: RestoreFinished
    table_drilled: TableDrilled
    table_compacted: TableCompacted
    offsite_copied: OffsiteCopied
    offsite_failed: OffsiteFailed
    def __init__(self, sequence: _Optional[int] = ..., epoch: _Optional[str] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., run_started: _Optional[_Union[RunStarted, _Mapping]] = ..., table_backed_up: _Optional[_Union[TableBackedUp, _Mapping]] = ..., table_backup_failed: _Optional[_Union[TableBackupFailed, _Mapping]] = ..., run_finished: _Optional[_Union[RunFinished, _Mapping]] = ..., health_changed: _Optional[_Union[HealthChanged, _Mapping]] = ..., heartbeat: _Optional[_Union[Heartbeat, _Mapping]] = ..., resync_required: _Optional[_Union[ResyncRequired, _Mapping]] = ..., restore_started: _Optional[_Union[RestoreStarted, _Mapping]] = ..., restore_finished: _Optional[_Union[RestoreFinished, _Mapping]] = ..., table_drilled: _Optional[_Union[TableDrilled, _Mapping]] = ..., table_compacted: _Optional[_Union[TableCompacted, _Mapping]] = ..., offsite_copied: _Optional[_Union[OffsiteCopied, _Mapping]] = ..., offsite_failed: _Optional[_Union[OffsiteFailed, _Mapping]] = ...) -> None: ...

class OffsiteCopied(_message.Message):
    __slots__ = ("destination", "table", "file_name", "bytes", "duration", "captured_at")
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    BYTES_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    CAPTURED_AT_FIELD_NUMBER: _ClassVar[int]
    destination: str
    table: str
    file_name: str
    bytes: int
    duration: _duration_pb2.Duration
    captured_at: _timestamp_pb2.Timestamp
    def __init__(self, destination: _Optional[str] = ..., table: _Optional[str] = ..., file_name: _Optional[str] = ..., bytes: _Optional[int] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., captured_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class OffsiteFailed(_message.Message):
    __slots__ = ("destination", "table", "file_name", "message")
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    destination: str
    table: str
    file_name: str
    message: str
    def __init__(self, destination: _Optional[str] = ..., table: _Optional[str] = ..., file_name: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class TableCompacted(_message.Message):
    __slots__ = ("run_id", "table", "bytes_before", "bytes_after", "error_code", "error_message", "safety_copy")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    BYTES_BEFORE_FIELD_NUMBER: _ClassVar[int]
    BYTES_AFTER_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    SAFETY_COPY_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    table: str
    bytes_before: int
    bytes_after: int
    error_code: str
    error_message: str
    safety_copy: str
    def __init__(self, run_id: _Optional[str] = ..., table: _Optional[str] = ..., bytes_before: _Optional[int] = ..., bytes_after: _Optional[int] = ..., error_code: _Optional[str] = ..., error_message: _Optional[str] = ..., safety_copy: _Optional[str] = ...) -> None: ...

class TableDrilled(_message.Message):
    __slots__ = ("run_id", "drill")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    DRILL_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    drill: TableDrill
    def __init__(self, run_id: _Optional[str] = ..., drill: _Optional[_Union[TableDrill, _Mapping]] = ...) -> None: ...

class RestoreStarted(_message.Message):
    __slots__ = ("run_id", "table", "backup", "target")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    BACKUP_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    table: str
    backup: str
    target: str
    def __init__(self, run_id: _Optional[str] = ..., table: _Optional[str] = ..., backup: _Optional[str] = ..., target: _Optional[str] = ...) -> None: ...

class RestoreFinished(_message.Message):
    __slots__ = ("run_id", "table", "backup", "target", "error_code", "error_message", "safety_copy")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    BACKUP_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    SAFETY_COPY_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    table: str
    backup: str
    target: str
    error_code: str
    error_message: str
    safety_copy: str
    def __init__(self, run_id: _Optional[str] = ..., table: _Optional[str] = ..., backup: _Optional[str] = ..., target: _Optional[str] = ..., error_code: _Optional[str] = ..., error_message: _Optional[str] = ..., safety_copy: _Optional[str] = ...) -> None: ...

class RunStarted(_message.Message):
    __slots__ = ("run_id", "trigger", "tables", "reason")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_FIELD_NUMBER: _ClassVar[int]
    TABLES_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    trigger: Trigger
    tables: _containers.RepeatedScalarFieldContainer[str]
    reason: str
    def __init__(self, run_id: _Optional[str] = ..., trigger: _Optional[_Union[Trigger, str]] = ..., tables: _Optional[_Iterable[str]] = ..., reason: _Optional[str] = ...) -> None: ...

class TableBackedUp(_message.Message):
    __slots__ = ("run_id", "table", "file_name", "bytes", "records", "consistency", "duration", "captured_at")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    BYTES_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    CONSISTENCY_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    CAPTURED_AT_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    table: str
    file_name: str
    bytes: int
    records: int
    consistency: Consistency
    duration: _duration_pb2.Duration
    captured_at: _timestamp_pb2.Timestamp
    def __init__(self, run_id: _Optional[str] = ..., table: _Optional[str] = ..., file_name: _Optional[str] = ..., bytes: _Optional[int] = ..., records: _Optional[int] = ..., consistency: _Optional[_Union[Consistency, str]] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., captured_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class TableBackupFailed(_message.Message):
    __slots__ = ("run_id", "table", "code", "message")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    table: str
    code: str
    message: str
    def __init__(self, run_id: _Optional[str] = ..., table: _Optional[str] = ..., code: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class RunFinished(_message.Message):
    __slots__ = ("run_id", "outcome", "succeeded", "failed", "skipped", "duration")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    SUCCEEDED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    outcome: RunOutcome
    succeeded: int
    failed: int
    skipped: int
    duration: _duration_pb2.Duration
    def __init__(self, run_id: _Optional[str] = ..., outcome: _Optional[_Union[RunOutcome, str]] = ..., succeeded: _Optional[int] = ..., failed: _Optional[int] = ..., skipped: _Optional[int] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class HealthChanged(_message.Message):
    __slots__ = ("table", "old_status", "new_status")
    TABLE_FIELD_NUMBER: _ClassVar[int]
    OLD_STATUS_FIELD_NUMBER: _ClassVar[int]
    NEW_STATUS_FIELD_NUMBER: _ClassVar[int]
    table: str
    old_status: HealthStatus
    new_status: HealthStatus
    def __init__(self, table: _Optional[str] = ..., old_status: _Optional[_Union[HealthStatus, str]] = ..., new_status: _Optional[_Union[HealthStatus, str]] = ...) -> None: ...

class Heartbeat(_message.Message):
    __slots__ = ("latest_sequence",)
    LATEST_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    latest_sequence: int
    def __init__(self, latest_sequence: _Optional[int] = ...) -> None: ...

class ResyncRequired(_message.Message):
    __slots__ = ("oldest_sequence", "epoch", "reason", "resume_after")
    OLDEST_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    RESUME_AFTER_FIELD_NUMBER: _ClassVar[int]
    oldest_sequence: int
    epoch: str
    reason: str
    resume_after: int
    def __init__(self, oldest_sequence: _Optional[int] = ..., epoch: _Optional[str] = ..., reason: _Optional[str] = ..., resume_after: _Optional[int] = ...) -> None: ...
