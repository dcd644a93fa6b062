//! Email: rendering a notification into a message with threading headers, and sending it with
//! lettre over an SMTP pool or into files.
