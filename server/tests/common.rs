//! A `TestApp` over the real router and a real database file.

#![allow(dead_code)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response};
use http_body_util::BodyExt;
use leptos::config::{Env, LeptosOptions};
use server::signing::KeyRing;
use server::store::{self, directory::ServerDirectory};
use server::web::{self, AppState};
use tower::ServiceExt;

/// The router with its own temporary database.
pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    pub dir: tempfile::TempDir,
}

impl TestApp {
    pub async fn new() -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("appreg.sqlite").display());
        let pool = store::open(&url).await.unwrap();
        let directory = Arc::new(ServerDirectory::load(&pool).await.unwrap());
        let keys = Arc::new(
            KeyRing::open(&pool, &dir.path().join("keys"), "http://127.0.0.1:3000")
                .await
                .unwrap(),
        );
        let leptos_options = LeptosOptions::builder()
            .output_name("appreg")
            .site_root(dir.path().join("site").display().to_string())
            .site_pkg_dir("pkg")
            .site_addr("127.0.0.1:0".parse::<std::net::SocketAddr>().unwrap())
            .env(Env::PROD)
            .build();
        let state = AppState {
            pool,
            directory,
            keys,
            leptos_options,
        };
        TestApp {
            router: web::router(state.clone()),
            state,
            dir,
        }
    }

    pub async fn send(&self, request: Request<Body>) -> (Response<Body>, Vec<u8>) {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes().to_vec();
        (Response::from_parts(parts, Body::empty()), bytes)
    }

    pub async fn get(&self, path: &str) -> (Response<Body>, Vec<u8>) {
        self.send(Request::get(path).body(Body::empty()).unwrap())
            .await
    }

    pub async fn post_json(
        &self,
        path: &str,
        body: impl Into<Body>,
    ) -> (Response<Body>, serde_json::Value) {
        let request = Request::post(path)
            .header("content-type", "application/json")
            .body(body.into())
            .unwrap();
        let (response, bytes) = self.send(request).await;
        (
            response,
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        )
    }
}

/// The example request of CONTRACTS.md, adapted to real demo data (valid).
pub fn delegated_request() -> serde_json::Value {
    serde_json::from_str(include_str!(
        "../../registration/tests/data/delegated_request.json"
    ))
    .unwrap()
}
