//! The actix-web service: routes, API keys and roles, OpenAPI document, the web map.
