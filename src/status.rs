//! Engine errors to gRPC statuses, in exactly one place.

use tablesafe_engine::control::EngineError;
use tonic::Status;

/// The status a client sees for an engine error.
pub fn to_status(error: EngineError) -> Status {
    match &error {
        EngineError::UnknownTables(_) => Status::invalid_argument(error.to_string()),
        EngineError::ShuttingDown => Status::unavailable(error.to_string()),
        EngineError::Store(_) => Status::internal(error.to_string()),
        EngineError::Locked(_)
        | EngineError::NameClash { .. }
        | EngineError::DataDirUnreadable { .. } => Status::failed_precondition(error.to_string()),
    }
}
