//! Rendering notifications from the handlebars templates under `templates/email/`.
