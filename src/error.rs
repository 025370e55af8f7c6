//! The crate's one error type, shared by the pure rules and the JavaScript layer.

use alloc::string::String;

use core::fmt;

use crate::json::Quoted;

/// The kind of failure, as JavaScript callers see it in `error.code`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// A required option or id is missing, empty or of the wrong type.
    InvalidArgument,
    /// The lookup responded with HTTP 401.
    Unauthorized,
    /// The lookup responded with HTTP 404: the site or the session id is unknown.
    NotFound,
    /// The lookup responded with another status outside 200-299.
    HttpError,
    /// The request failed before a response arrived (offline, CORS, DNS).
    Network,
    /// No complete response arrived within the client's `timeoutMs`.
    Timeout,
    /// The caller's `AbortSignal` fired.
    Aborted,
    /// The body is not JSON, or not a JSON object.
    InvalidResponse,
}

impl ErrorCode {
    /// The `code` string of the JavaScript error, such as `"not_found"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidArgument => "invalid_argument",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::NotFound => "not_found",
            ErrorCode::HttpError => "http_error",
            ErrorCode::Network => "network",
            ErrorCode::Timeout => "timeout",
            ErrorCode::Aborted => "aborted",
            ErrorCode::InvalidResponse => "invalid_response",
        }
    }

    /// Returns the code whose `code` string is `name`, the reverse of
    /// [`ErrorCode::as_str`].
    pub fn from_name(name: &str) -> Option<Self> {
        ErrorCode::ALL
            .into_iter()
            .find(|code| code.as_str() == name)
    }

    /// Every code, in the order of the enum.
    pub const ALL: [ErrorCode; 8] = [
        ErrorCode::InvalidArgument,
        ErrorCode::Unauthorized,
        ErrorCode::NotFound,
        ErrorCode::HttpError,
        ErrorCode::Network,
        ErrorCode::Timeout,
        ErrorCode::Aborted,
        ErrorCode::InvalidResponse,
    ];
}

/// A failure with its code, a message for people and, for HTTP failures, the status.
///
/// Messages name the value that failed and the fix where one exists. They
/// never contain a cookie or header value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// The kind of failure.
    pub code: ErrorCode,
    /// A sentence for the developer reading the console.
    pub message: String,
    /// The HTTP status of the response, when one arrived.
    pub status: Option<u16>,
}

impl Error {
    /// Creates an error with no HTTP status.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
            status: None,
        }
    }

    /// Creates an `invalid_argument` error.
    #[cold]
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::InvalidArgument, message)
    }

    /// Creates an `invalid_response` error.
    #[cold]
    pub fn invalid_response(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::InvalidResponse, message)
    }

    /// Creates the error for a response whose status is outside 200-299.
    ///
    /// The message names the site but not the session id, because the id is
    /// the value of the reader's `blaize_session` cookie.
    #[cold]
    pub fn from_status(status: u16, site: &str) -> Self {
        let site = Quoted(site);
        let (code, message) = match status {
            401 => (
                ErrorCode::Unauthorized,
                text!(
                    "the session lookup for site ",
                    site,
                    " answered HTTP 401: the endpoint did not accept the \
                     request's authentication; check that the publisher's proxy signs lookups"
                ),
            ),
            404 => (
                ErrorCode::NotFound,
                text!(
                    "the session lookup for site ",
                    site,
                    " answered HTTP 404: the site or the session id is \
                     unknown; check the site name and that the reader's session still exists"
                ),
            ),
            429 | 502 | 503 | 504 => (
                ErrorCode::HttpError,
                text!(
                    "the session lookup for site ",
                    site,
                    " answered HTTP ",
                    status,
                    ", a temporary \
                     failure; try again later, or raise the client's retries"
                ),
            ),
            _ => (
                ErrorCode::HttpError,
                text!(
                    "the session lookup for site ",
                    site,
                    " answered HTTP ",
                    status,
                    "; check the \
                     endpoint's logs for the cause"
                ),
            ),
        };
        Error {
            code,
            message,
            status: Some(status),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code.as_str())
    }
}

impl core::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_names_read_back_as_their_codes() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::from_name(code.as_str()), Some(code));
        }
        assert_eq!(ErrorCode::from_name("Network"), None);
        assert_eq!(ErrorCode::from_name(""), None);
    }
}
