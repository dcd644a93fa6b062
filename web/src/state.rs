//! What every handler gets.

use std::sync::Arc;

use hdnd_hub::Hub;

use crate::views::Views;

/// The hub and the compiled templates.
#[derive(Debug, Clone)]
pub struct AppState {
    pub hub: Hub,
    pub views: Arc<Views>,
}
