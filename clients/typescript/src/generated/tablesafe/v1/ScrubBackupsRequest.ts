// Original file: proto/tablesafe/v1/storage_admin.proto


export interface ScrubBackupsRequest {
}

export interface ScrubBackupsRequest__Output {
}
