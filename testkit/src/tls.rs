//! Certificate authorities and the certificates they sign, made fresh for a
//! test run (no keys are kept in the repository).

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

/// A certificate and its private key, PEM.
pub struct Signed {
    /// The certificate.
    pub cert_pem: String,
    /// Its private key.
    pub key_pem: String,
}

/// A self-signed certificate authority.
pub struct Ca {
    issuer: Issuer<'static, KeyPair>,
    /// The CA's certificate, for clients (or servers) to trust.
    pub pem: String,
}

impl Ca {
    /// A new CA with a new key.
    pub fn new() -> Result<Self, rcgen::Error> {
        let mut params = CertificateParams::new(Vec::new())?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        // Subjects must differ from the certificates it signs, or OpenSSL
        // (Python's and Node's gRPC) takes those for self-signed.
        params
            .distinguished_name
            .push(DnType::CommonName, "tablesafe test CA");
        let key = KeyPair::generate()?;
        let pem = params.self_signed(&key)?.pem();
        Ok(Self {
            issuer: Issuer::new(params, key),
            pem,
        })
    }

    /// A certificate for `names` (DNS names or IP addresses), signed by this CA.
    pub fn sign(&self, names: &[&str]) -> Result<Signed, rcgen::Error> {
        let key = KeyPair::generate()?;
        let mut params =
            CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())?;
        params.distinguished_name.push(
            DnType::CommonName,
            names.first().copied().unwrap_or("tablesafe"),
        );
        let cert = params.signed_by(&key, &self.issuer)?;
        Ok(Signed {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }
}
