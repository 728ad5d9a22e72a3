// Original file: proto/tablesafe/v1/storage_admin.proto


/**
 * A backup could not be stored at an offsite destination, or (table and
 * file_name empty) the destination could not be used at all: unreachable,
 * credentials refused. The next pass tries again; local backups are not
 * affected.
 */
export interface OffsiteFailed {
  'destination'?: (string);
  'table'?: (string);
  'fileName'?: (string);
  'message'?: (string);
}

/**
 * A backup could not be stored at an offsite destination, or (table and
 * file_name empty) the destination could not be used at all: unreachable,
 * credentials refused. The next pass tries again; local backups are not
 * affected.
 */
export interface OffsiteFailed__Output {
  'destination': (string);
  'table': (string);
  'fileName': (string);
  'message': (string);
}
