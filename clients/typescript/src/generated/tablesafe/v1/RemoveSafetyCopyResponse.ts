// Original file: proto/tablesafe/v1/storage_admin.proto


export interface RemoveSafetyCopyResponse {
}

export interface RemoveSafetyCopyResponse__Output {
}
