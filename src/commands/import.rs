//! `gigcheck import postman`: converts a Postman collection into spec files.

use crate::cli::{Exit, PostmanArgs};

pub fn postman(_args: PostmanArgs) -> Exit {
    eprintln!("error: `gigcheck import postman` is not built yet");
    Exit::Usage
}
