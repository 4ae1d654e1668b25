//! Field-level validation errors, collected rather than stopping at the first,
//! so a form can show every mistake at once.

use serde::Serialize;

/// One invalid field: a dotted path (`rules[2].values`) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// The errors found while validating one input.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Errors(Vec<FieldError>);

impl Errors {
    pub fn new() -> Self {
        Errors(Vec::new())
    }

    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_vec(self) -> Vec<FieldError> {
        self.0
    }

    /// The fields at fault, in order.
    pub fn fields(&self) -> Vec<&str> {
        self.0.iter().map(|e| e.field.as_str()).collect()
    }

    pub fn as_slice(&self) -> &[FieldError] {
        &self.0
    }

    /// Takes in the errors of a part's own check, each field named under
    /// `prefix` (`targets.`, `topics[2].`; empty to keep the names).
    pub fn include(&mut self, prefix: &str, part: Result<(), Errors>) {
        if let Err(e) = part {
            for f in e.0 {
                self.add(format!("{prefix}{}", f.field), f.message);
            }
        }
    }

    /// `Ok(value)` when nothing was found, else the errors.
    pub fn finish<T>(self, value: T) -> Result<T, Errors> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

impl std::fmt::Display for Errors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        f.write_str(&parts.join("; "))
    }
}
