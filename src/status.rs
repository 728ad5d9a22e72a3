//! Errors to what clients see, in exactly one place: engine and token errors
//! to gRPC statuses, and statuses to HTTP answers for the plain-HTTP routes.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use tablesafe_engine::compact::CompactError;
use tablesafe_engine::control::EngineError;
use tablesafe_engine::restore::RestoreError;

use crate::auth::AuthError;
use tonic::{Code, Status};

/// The status a client sees for a refused token.
impl From<AuthError> for Status {
    fn from(error: AuthError) -> Self {
        let code = match error {
            AuthError::Missing | AuthError::Invalid => Code::Unauthenticated,
            AuthError::NeedsAdmin => Code::PermissionDenied,
        };
        Status::new(code, error.to_string())
    }
}

/// The status a client sees for an engine error.
pub fn to_status(error: EngineError) -> Status {
    Status::new(code(&error), error.to_string())
}

/// The gRPC code of an engine error (a follow-up's is its cause's).
fn code(error: &EngineError) -> Code {
    match error {
        EngineError::UnknownTables { .. } => Code::InvalidArgument,
        EngineError::ShuttingDown => Code::Unavailable,
        EngineError::Store(_) => Code::Internal,
        EngineError::Locked(_)
        | EngineError::NameClash { .. }
        | EngineError::DataDirUnreadable { .. } => Code::FailedPrecondition,
        EngineError::FollowUp(cause) => code(cause),
        EngineError::RestoreBusy(_) => Code::Aborted,
        EngineError::NoSuchSafetyCopy(_) => Code::NotFound,
        EngineError::Compact(e) => match e {
            CompactError::NotSound { .. }
            | CompactError::NoFreshBackup { .. }
            | CompactError::NotFragmented { .. }
            | CompactError::InUse { .. }
            | CompactError::OpenOnNode(_)
            | CompactError::Changed(_) => Code::FailedPrecondition,
            CompactError::NoSpace { .. } => Code::ResourceExhausted,
            CompactError::Rebuild(_) | CompactError::SafetyCopy(_) | CompactError::Io { .. } => {
                Code::Internal
            }
        },
        EngineError::Restore(e) => match e {
            RestoreError::NoCopy { .. } | RestoreError::NotFound { .. } => Code::NotFound,
            RestoreError::TargetExists(_) => Code::AlreadyExists,
            RestoreError::ProtectedTarget { .. } => Code::InvalidArgument,
            RestoreError::Untrusted { .. }
            | RestoreError::Dirty { .. }
            | RestoreError::InUse { .. }
            | RestoreError::OpenOnNode(_) => Code::FailedPrecondition,
            RestoreError::WrittenMismatch(_) => Code::DataLoss,
            RestoreError::Io { .. } => Code::Internal,
        },
    }
}

/// A code's name as gRPC spells it (`UNAUTHENTICATED`), for bodies that
/// programs read.
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// The HTTP status that means what `code` means.
pub fn http_status(code: Code) -> StatusCode {
    match code {
        Code::Ok => StatusCode::OK,
        Code::InvalidArgument | Code::OutOfRange => StatusCode::BAD_REQUEST,
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::AlreadyExists | Code::Aborted => StatusCode::CONFLICT,
        Code::FailedPrecondition => StatusCode::PRECONDITION_FAILED,
        Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        Code::Cancelled | Code::Unknown | Code::Internal | Code::DataLoss => {
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}

/// `status` as an HTTP answer: the matching HTTP status and a JSON body
/// `{"code": "UNAUTHENTICATED", "message": "..."}`; a 401 also names the
/// scheme to use.
pub fn http_response(status: &Status) -> Response {
    let body = serde_json::json!({
        "code": code_name(status.code()),
        "message": status.message(),
    });
    let http = http_status(status.code());
    if http == StatusCode::UNAUTHORIZED {
        (
            http,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            axum::Json(body),
        )
            .into_response()
    } else {
        (http, axum::Json(body)).into_response()
    }
}
