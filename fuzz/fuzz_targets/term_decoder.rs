//! Any byte string fed to the term decoder yields a hash or a typed error,
//! never a panic; an accepted object's key lies inside it, and hashing an
//! object and hashing it as a plain term agree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tablesafe_dets::term::{terms_equal, TermDecoder};

fuzz_target!(|data: &[u8]| {
    let mut dec = TermDecoder::new();
    let plain = dec.hash(data);
    for keypos in 1..=3 {
        if let Ok(object) = dec.object(data, keypos) {
            assert_eq!(plain.as_ref().ok(), Some(&object.hash));
            let body = dec.body(data, &object).to_vec();
            let key = &body[object.key.clone()];
            assert_eq!(terms_equal(key, key), Ok(true));
        }
    }
});
