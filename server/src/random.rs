//! Randomness from the operating system, for ids and tokens (below `store` and `identity`,
//! which both make them).

/// `n` random bytes as lower-case hex (ids).
pub fn random_hex(n: usize) -> String {
    random_bytes(n).iter().map(|b| format!("{b:02x}")).collect()
}

/// `n` bytes from the operating system's CSPRNG.
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; n];
    // The OS generator failing is not something the desk can carry on without.
    getrandom::fill(&mut bytes).expect("the operating system's random generator failed");
    bytes
}
