//! The sandbox against the contract's tables, over real HTTP: auth, catalogue, addresses,
//! orders (list, details, create, cancel, admin status, stats) and the generic failure rules.

use crate::sandbox_support as support;

use serde_json::{Value, json};
use support::*;

fn forge(claims: Value, secret: &str) -> String {
    gigcheck_base::jwt::sign(&claims, secret.as_bytes()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_login_me() {
    let s = start().await;
    let email = unique_email();
    let body =
        json!({"email": email, "password": PASSWORD, "first_name": "Ada", "last_name": "Byte"});

    let r = s
        .call("POST", "/api/auth/register", None, Some(body.clone()))
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    assert!(r.content_type.starts_with("application/json"));
    assert_eq!(r.body["message"], "User registered successfully");
    assert!(r.body["token"].as_str().unwrap().split('.').count() == 3);
    assert_eq!(r.body["user"]["email"], email.as_str());
    assert_eq!(r.body["user"]["first_name"], "Ada");
    assert_eq!(r.body["user"]["last_name"], "Byte");
    assert!(r.body["user"]["id"].as_i64().unwrap() > 0);
    assert!(
        r.body["user"].get("password").is_none() && r.body["user"].get("password_hash").is_none()
    );

    // 409: the same email, in any case.
    let mut again = body.clone();
    again["email"] = json!(email.to_uppercase());
    let r = s
        .call("POST", "/api/auth/register", None, Some(again))
        .await;
    assert_eq!((r.status, r.error()), (409, "Email already registered"));

    // 400: each missing field, a bad email, weak passwords.
    for field in ["email", "password", "first_name", "last_name"] {
        let mut b = body.clone();
        b["email"] = json!(unique_email());
        b.as_object_mut().unwrap().remove(field);
        let r = s.call("POST", "/api/auth/register", None, Some(b)).await;
        assert_eq!(
            (r.status, r.error()),
            (400, format!("Missing required field: {field}").as_str())
        );
    }
    let mut b = body.clone();
    b["email"] = json!("not-an-email");
    let r = s.call("POST", "/api/auth/register", None, Some(b)).await;
    assert_eq!((r.status, r.error()), (400, "Invalid email format"));
    for weak in [
        "Sh0rt!",
        "alllowercase1!",
        "ALLUPPERCASE1!",
        "NoDigitsHere!",
        "NoSpecial123",
    ] {
        let mut b = body.clone();
        b["email"] = json!(unique_email());
        b["password"] = json!(weak);
        let r = s.call("POST", "/api/auth/register", None, Some(b)).await;
        assert_eq!(r.status, 400, "{weak}: {r:?}");
        assert!(r.error().starts_with("Password must be"), "{r:?}");
    }

    // Login.
    let r = s.login(&email, PASSWORD).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["message"], "Login successful");
    assert_eq!(r.body["user"]["is_admin"], false);
    assert_eq!(r.body["user"]["email"], email.as_str());
    let token = r.body["token"].as_str().unwrap().to_string();
    let r = s.login(&email, "Wr0ng!password").await;
    assert_eq!((r.status, r.error()), (401, "Invalid email or password"));
    let r = s.login("nobody@example.test", PASSWORD).await;
    assert_eq!((r.status, r.error()), (401, "Invalid email or password"));
    let r = s
        .call(
            "POST",
            "/api/auth/login",
            None,
            Some(json!({"email": email})),
        )
        .await;
    assert_eq!(
        (r.status, r.error()),
        (400, "Missing required field: password")
    );
    let r = s
        .call(
            "POST",
            "/api/auth/login",
            None,
            Some(json!({"password": PASSWORD})),
        )
        .await;
    assert_eq!(
        (r.status, r.error()),
        (400, "Missing required field: email")
    );

    // Me.
    let r = s.get("/api/auth/me", &token).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["user"]["email"], email.as_str());
    assert_eq!(r.body["user"]["is_admin"], false);
    let admin = s.admin_token().await;
    assert_eq!(
        s.get("/api/auth/me", &admin).await.body["user"]["is_admin"],
        true
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_rules() {
    let s = start().await;
    let user = s.register().await;
    let now = now();

    let r = s.call("GET", "/api/auth/me", None, None).await;
    assert_eq!((r.status, r.error()), (401, "Token is missing"));
    let r = s
        .raw(
            "GET",
            "/api/orders",
            &[("authorization", "Bearer ")],
            vec![],
        )
        .await;
    assert_eq!((r.status, r.error()), (401, "Token is missing"));

    let expired = forge(
        json!({"user_id": user.id, "is_admin": false, "exp": now - 5, "iat": now - 3605}),
        JWT_SECRET,
    );
    let r = s.get("/api/auth/me", &expired).await;
    assert_eq!((r.status, r.error()), (401, "Token has expired"));

    let foreign = forge(
        json!({"user_id": user.id, "is_admin": true, "exp": now + 600, "iat": now}),
        "other-secret",
    );
    let none = {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!(
            "{}.{}.",
            b64.encode(r#"{"alg":"none","typ":"JWT"}"#),
            b64.encode(json!({"user_id": user.id, "is_admin": true, "exp": now + 600}).to_string())
        )
    };
    let mut tampered = user.token.clone();
    tampered.pop();
    tampered.push(if user.token.ends_with('A') { 'B' } else { 'A' });
    let ghost = forge(
        json!({"user_id": 999_999, "is_admin": false, "exp": now + 600, "iat": now}),
        JWT_SECRET,
    );
    for bad in [
        foreign.as_str(),
        none.as_str(),
        tampered.as_str(),
        "garbage",
        "a.b.c",
        ghost.as_str(),
    ] {
        let r = s.get("/api/auth/me", bad).await;
        assert_eq!((r.status, r.error()), (401, "Invalid token"), "{bad}");
    }
    let r = s
        .raw(
            "GET",
            "/api/auth/me",
            &[("authorization", &format!("Basic {}", user.token))],
            vec![],
        )
        .await;
    // Another scheme carries no bearer token: the contract calls it missing.
    assert_eq!((r.status, r.error()), (401, "Token is missing"));

    // Every protected route checks.
    for (method, path) in [
        ("GET", "/api/orders"),
        ("POST", "/api/orders"),
        ("GET", "/api/orders/1"),
        ("POST", "/api/orders/1/cancel"),
        ("PUT", "/api/orders/1/status"),
        ("GET", "/api/orders/stats"),
        ("GET", "/api/addresses"),
        ("POST", "/api/addresses"),
    ] {
        let r = s.call(method, path, None, Some(json!({}))).await;
        assert_eq!(
            (r.status, r.error()),
            (401, "Token is missing"),
            "{method} {path}"
        );
    }
    for path in [
        "/api/payment/create-payment-intent",
        "/api/payment/confirm-payment-intent",
    ] {
        let r = s.call("POST", path, None, Some(json!({}))).await;
        assert_eq!((r.status, r.error()), (401, "Token is missing"), "{path}");
        assert_eq!(r.body["success"], false);
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalogue() {
    let s = start().await;
    let r = s.call("GET", "/api/products", None, None).await;
    assert_eq!(r.status, 200, "{r:?}");
    let total = r.body["total"].as_i64().unwrap();
    assert!(total >= 10);
    assert_eq!(
        (r.body["page"].as_i64(), r.body["limit"].as_i64()),
        (Some(1), Some(24))
    );
    let p = &r.body["products"][0];
    for field in [
        "product_id",
        "name",
        "category",
        "purchase_price",
        "stock_quantity",
        "condition_rating",
        "primary_image",
    ] {
        assert!(!p[field].is_null(), "{field}");
    }
    assert_eq!(p["purchase_price"], 399.99);

    let r = s
        .call("GET", "/api/products?page=2&limit=3", None, None)
        .await;
    assert_eq!(r.body["products"].as_array().unwrap().len(), 3);
    assert_eq!(r.body["products"][0]["product_id"], 4);
    assert_eq!(r.body["pages"].as_i64().unwrap(), (total + 2) / 3);

    let r = s
        .call("GET", "/api/products?category=gpu", None, None)
        .await;
    let gpus = r.body["products"].as_array().unwrap();
    assert!(gpus.len() >= 3 && gpus.iter().all(|p| p["category"] == "gpu"));
    assert_eq!(r.body["total"].as_i64().unwrap(), gpus.len() as i64);
    for cat in ["cpu", "system"] {
        let r = s
            .call("GET", &format!("/api/products?category={cat}"), None, None)
            .await;
        assert!(!r.body["products"].as_array().unwrap().is_empty(), "{cat}");
    }
    let r = s
        .call("GET", "/api/products?category=toasters", None, None)
        .await;
    assert_eq!((r.status, r.body["total"].as_i64()), (200, Some(0)));

    for bad in ["page=abc", "page=0", "limit=-1", "page=1.5"] {
        let r = s
            .call("GET", &format!("/api/products?{bad}"), None, None)
            .await;
        assert_eq!(r.status, 400, "{bad}: {r:?}");
    }

    let r = s.call("GET", "/api/products/1", None, None).await;
    assert_eq!(r.status, 200);
    assert!(r.body["description"].is_string() && r.body["specifications"].is_object());
    assert_eq!(r.body["product_id"], 1);
    assert_eq!(s.stock(LAST_ONE).await, 1);
    assert_eq!(s.stock(SOLD_OUT).await, 0);
    for missing in [
        "/api/products/9999",
        "/api/products/abc",
        "/api/products/-1",
    ] {
        let r = s.call("GET", missing, None, None).await;
        assert_eq!(
            (r.status, r.error()),
            (404, "Product not found"),
            "{missing}"
        );
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn addresses() {
    let s = start().await;
    let a = s.register().await;
    let b = s.register().await;
    let full = json!({"first_name": "Ada", "last_name": "Byte", "street_address": "1 Loop Rd", "city": "Austin",
                      "state": "TX", "zip_code": "78701", "country": "US"});
    let r = s.post("/api/addresses", &a.token, full.clone()).await;
    assert_eq!(r.status, 201, "{r:?}");
    assert!(r.body["address"]["id"].as_i64().unwrap() > 0);
    assert_eq!(r.body["address"]["city"], "Austin");
    assert!(r.body["address"]["phone"].is_null());
    for field in [
        "first_name",
        "last_name",
        "street_address",
        "city",
        "state",
        "zip_code",
        "country",
    ] {
        let mut body = full.clone();
        body.as_object_mut().unwrap().remove(field);
        let r = s.post("/api/addresses", &a.token, body).await;
        assert_eq!(
            (r.status, r.error()),
            (400, format!("Missing required field: {field}").as_str())
        );
    }
    s.address(&b.token).await;
    let r = s.get("/api/addresses", &a.token).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["addresses"].as_array().unwrap().len(), 1);
    let r = s.get("/api/addresses", &b.token).await;
    assert_eq!(r.body["addresses"].as_array().unwrap().len(), 1);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_order() {
    let s = start().await;
    let (user, address) = s.customer().await;
    let other = s.register().await;
    let foreign_address = s.address(&other.token).await;
    let before = s.stock(1).await;

    // Client prices are ignored; totals come from the catalogue.
    let r = s
        .order(&user, address, json!([{"product_id": 1, "quantity": 2, "price": 0.01}, {"product_id": 4, "quantity": 1}]))
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(r.body["message"], "Order created successfully");
    let order = &r.body["order"];
    for field in [
        "id",
        "user_id",
        "order_date",
        "total",
        "status",
        "payment_status",
        "shipping_address_id",
        "billing_address_id",
        "shipping_method",
    ] {
        assert!(!order[field].is_null(), "{field}");
    }
    assert_eq!(order["total"], 979.97);
    assert_eq!(
        (order["status"].as_str(), order["payment_status"].as_str()),
        (Some("pending"), Some("pending"))
    );
    assert_eq!(order["user_id"], user.id);
    assert!(order["order_date"].as_str().unwrap().ends_with('Z'));
    assert_eq!(s.stock(1).await, before - 2);

    let id = order["id"].as_i64().unwrap();
    let detail = s.order_detail(&user, id).await;
    let items = detail["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["price"], 399.99);
    assert_eq!(items[0]["subtotal"], 799.98);
    assert_eq!(items[0]["quantity"], 2);
    assert!(
        items[0]["sku"].is_string()
            && items[0]["product_name"].is_string()
            && items[0]["id"].is_i64()
    );
    assert_eq!(detail["shipping_address"]["id"], address);
    assert_eq!(detail["billing_address"]["city"], "Austin");
    assert_eq!(detail["payments"], json!([]));
    assert_eq!(detail["status_history"][0]["status"], "pending");
    assert_eq!(detail["status_history"][0]["created_by"], user.id);
    assert!(detail["status_history"][0]["created_at"].is_string());

    // Duplicate lines are one line for stock: two lines of one unit of the last one → 409.
    let r = s
        .order(&user, address, json!([{"product_id": LAST_ONE, "quantity": 1}, {"product_id": LAST_ONE, "quantity": 1}]))
        .await;
    assert_eq!(r.status, 409, "{r:?}");

    // 400s.
    let good = support::Sandbox::order_body(address, json!([{"product_id": 1, "quantity": 1}]));
    for field in [
        "items",
        "shipping_address_id",
        "billing_address_id",
        "shipping_method",
    ] {
        let mut b = good.clone();
        b.as_object_mut().unwrap().remove(field);
        let r = s.post("/api/orders", &user.token, b).await;
        assert_eq!(
            (r.status, r.error()),
            (400, format!("Missing required field: {field}").as_str())
        );
    }
    for items in [
        json!([]),
        json!("x"),
        json!([{"product_id": 1}]),
        json!([{"quantity": 1}]),
        json!([{"product_id": 1, "quantity": 0}]),
        json!([{"product_id": 1, "quantity": -1}]),
        json!([{"product_id": "one", "quantity": 1}]),
        json!([7]),
    ] {
        let r = s.order(&user, address, items.clone()).await;
        assert_eq!(r.status, 400, "{items}: {r:?}");
    }
    let r = s
        .order(&user, address, json!([{"product_id": 1, "quantity": 0}]))
        .await;
    assert_eq!(r.error(), "Item 1: quantity must be at least 1");
    let r = s.order(&user, address, json!([])).await;
    assert_eq!(r.error(), "Order must contain at least one item");
    let mut b = good.clone();
    b["shipping_address_id"] = json!(foreign_address);
    let r = s.post("/api/orders", &user.token, b).await;
    assert_eq!(r.status, 400, "{r:?}");
    assert!(r.error().contains("shipping address"));
    let mut b = good.clone();
    b["billing_address_id"] = json!(foreign_address);
    assert_eq!(s.post("/api/orders", &user.token, b).await.status, 400);

    // 404 unknown product, 409 stock.
    let r = s
        .order(&user, address, json!([{"product_id": 9999, "quantity": 1}]))
        .await;
    assert_eq!(r.status, 404, "{r:?}");
    let r = s
        .order(
            &user,
            address,
            json!([{"product_id": LAST_ONE, "quantity": 3}]),
        )
        .await;
    assert_eq!(r.status, 409, "{r:?}");
    assert!(
        r.error().contains("RTX 3090")
            && r.error().contains("requested 3")
            && r.error().contains("available 1"),
        "{r:?}"
    );
    let r = s
        .order(
            &user,
            address,
            json!([{"product_id": SOLD_OUT, "quantity": 1}]),
        )
        .await;
    assert_eq!(r.status, 409, "{r:?}");

    // None of the failures wrote anything.
    assert_eq!(s.order_count(&user).await, 1);
    assert_eq!(s.stock(LAST_ONE).await, 1);
    assert_eq!(s.stock(1).await, before - 2);

    // The trailing-slash form works too.
    let r = s.post("/api/orders/", &user.token, good.clone()).await;
    assert_eq!(r.status, 201, "{r:?}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_orders() {
    let s = start().await;
    let (user, address) = s.customer().await;
    let (other, other_address) = s.customer().await;
    s.order_ok(&other, other_address, 2, 1).await;
    let mut ids = Vec::new();
    for _ in 0..12 {
        ids.push(s.order_ok(&user, address, 2, 1).await);
    }
    let admin = s.admin_token().await;
    let r = s
        .call(
            "PUT",
            &format!("/api/orders/{}/status", ids[0]),
            Some(&admin),
            Some(json!({"status": "shipped"})),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");

    let r = s.get("/api/orders", &user.token).await;
    assert_eq!(r.status, 200);
    let orders = r.body["orders"].as_array().unwrap();
    assert_eq!(orders.len(), 10);
    assert_eq!(
        r.body["pagination"],
        json!({"total": 12, "page": 1, "per_page": 10, "total_pages": 2})
    );
    assert_eq!(orders[0]["id"], *ids.last().unwrap(), "newest first");
    assert!(orders.iter().all(|o| o["user_id"] == user.id));
    assert_eq!(orders[0]["items"][0]["product_id"], 2);

    let r = s.get("/api/orders?page=2", &user.token).await;
    assert_eq!(r.body["orders"].as_array().unwrap().len(), 2);
    assert_eq!(r.body["orders"][1]["id"], ids[0]);
    let r = s.get("/api/orders?page=9", &user.token).await;
    assert_eq!(
        (r.status, r.body["orders"].as_array().unwrap().len()),
        (200, 0)
    );
    let r = s.get("/api/orders?per_page=500", &user.token).await;
    assert_eq!(r.body["pagination"]["per_page"], 50);
    assert_eq!(r.body["orders"].as_array().unwrap().len(), 12);
    let r = s.get("/api/orders?per_page=5&page=3", &user.token).await;
    assert_eq!(
        r.body["pagination"],
        json!({"total": 12, "page": 3, "per_page": 5, "total_pages": 3})
    );

    let r = s.get("/api/orders?status=shipped", &user.token).await;
    assert_eq!(r.body["pagination"]["total"], 1);
    assert_eq!(r.body["orders"][0]["status"], "shipped");
    let r = s.get("/api/orders?status=pending", &user.token).await;
    assert_eq!(r.body["pagination"]["total"], 11);
    let r = s.get("/api/orders?status=cancelled", &user.token).await;
    assert_eq!(
        (r.status, r.body["pagination"]["total"].as_i64()),
        (200, Some(0))
    );

    for bad in [
        "page=abc",
        "page=0",
        "page=-1",
        "per_page=0",
        "per_page=x",
        "status=lost",
        "page=1e3",
    ] {
        let r = s.get(&format!("/api/orders?{bad}"), &user.token).await;
        assert_eq!(r.status, 400, "{bad}: {r:?}");
        assert_no_internals(&r);
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn others_orders_are_invisible() {
    let s = start().await;
    let (owner, address) = s.customer().await;
    let stranger = s.register().await;
    let admin = s.admin_token().await;
    let id = s.order_ok(&owner, address, 1, 1).await;
    let not_found = (404, "Order not found or access denied");
    for token in [&stranger.token, &admin] {
        let r = s.get(&format!("/api/orders/{id}"), token).await;
        assert_eq!((r.status, r.error()), not_found);
        let r = s.cancel(token, id).await;
        assert_eq!((r.status, r.error()), not_found);
    }
    for missing in ["99999", "abc", "0", "-4"] {
        let r = s.get(&format!("/api/orders/{missing}"), &owner.token).await;
        assert_eq!((r.status, r.error()), not_found, "{missing}");
    }
    let r = s.get("/api/orders", &stranger.token).await;
    assert_eq!(r.body["pagination"]["total"], 0);
    // The order is untouched.
    assert_eq!(s.order_detail(&owner, id).await["status"], "pending");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancellation_rules() {
    let s = start().await;
    let (user, address) = s.customer().await;
    let admin = s.admin_token().await;
    let before = s.stock(6).await;

    let id = s.order_ok(&user, address, 6, 2).await;
    assert_eq!(s.stock(6).await, before - 2);
    let r = s.cancel(&user.token, id).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["message"], "Order cancelled successfully");
    assert_eq!(
        r.body["order"],
        json!({"id": id, "status": "cancelled", "payment_status": "pending"})
    );
    assert!(r.body.get("refund").is_none());
    assert_eq!(s.stock(6).await, before, "stock restored");
    let detail = s.order_detail(&user, id).await;
    assert_eq!(detail["status"], "cancelled");
    let history: Vec<&str> = detail["status_history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].as_str().unwrap())
        .collect();
    assert_eq!(history, ["pending", "cancelled"]);

    let r = s.cancel(&user.token, id).await;
    assert_eq!(
        (r.status, r.error()),
        (400, "Cannot cancel order with status 'cancelled'")
    );
    assert_eq!(s.stock(6).await, before, "no second restock");

    // processing → cancellable; shipped and delivered → not.
    for (status, cancellable) in [
        ("processing", true),
        ("shipped", false),
        ("delivered", false),
    ] {
        let id = s.order_ok(&user, address, 2, 1).await;
        let moves: &[&str] = match status {
            "processing" => &["processing"],
            "shipped" => &["processing", "shipped"],
            _ => &["processing", "shipped", "delivered"],
        };
        for m in moves {
            let r = s
                .call(
                    "PUT",
                    &format!("/api/orders/{id}/status"),
                    Some(&admin),
                    Some(json!({"status": m})),
                )
                .await;
            assert_eq!(r.status, 200, "{r:?}");
        }
        let r = s.cancel(&user.token, id).await;
        if cancellable {
            assert_eq!(r.status, 200, "{status}: {r:?}");
        } else {
            assert_eq!(
                (r.status, r.error()),
                (
                    400,
                    format!("Cannot cancel order with status '{status}'").as_str()
                )
            );
        }
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_status_machine() {
    let s = start().await;
    let (user, address) = s.customer().await;
    let admin = s.admin_token().await;
    let id = s.order_ok(&user, address, 4, 1).await;
    let path = format!("/api/orders/{id}/status");

    let r = s
        .call("PUT", &path, None, Some(json!({"status": "shipped"})))
        .await;
    assert_eq!((r.status, r.error()), (401, "Token is missing"));
    let r = s
        .call(
            "PUT",
            &path,
            Some(&user.token),
            Some(json!({"status": "shipped"})),
        )
        .await;
    assert_eq!((r.status, r.error()), (403, "Admin privileges required"));
    let r = s
        .raw(
            "PUT",
            &path,
            &[("authorization", &format!("Bearer {}", user.token))],
            b"{oops".to_vec(),
        )
        .await;
    assert_eq!(r.status, 403, "403 comes before the body: {r:?}");
    let r = s.call("PUT", &path, Some(&admin), Some(json!({}))).await;
    assert_eq!(
        (r.status, r.error()),
        (400, "Missing required field: status")
    );
    for bad in [
        json!({"status": "lost"}),
        json!({"status": 3}),
        json!({"status": "SHIPPED!"}),
    ] {
        let r = s.call("PUT", &path, Some(&admin), Some(bad)).await;
        assert_eq!(r.status, 400, "{r:?}");
        assert!(r.error().starts_with("Invalid status"), "{r:?}");
    }
    let r = s
        .call(
            "PUT",
            "/api/orders/99999/status",
            Some(&admin),
            Some(json!({"status": "shipped"})),
        )
        .await;
    assert_eq!(
        (r.status, r.error()),
        (404, "Order not found or access denied")
    );

    for status in ["processing", "shipped", "delivered"] {
        let r = s
            .call(
                "PUT",
                &path,
                Some(&admin),
                Some(json!({"status": status, "notes": format!("to {status}")})),
            )
            .await;
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(r.body["message"], "Order status updated successfully");
        assert_eq!(r.body["order"]["id"], id);
        assert_eq!(r.body["order"]["status"], status);
    }
    for status in ["pending", "processing", "shipped", "cancelled", "delivered"] {
        let r = s
            .call("PUT", &path, Some(&admin), Some(json!({"status": status})))
            .await;
        assert_eq!(
            (r.status, r.error()),
            (400, "Cannot change status of order with status 'delivered'"),
            "{status}"
        );
    }
    let detail = s.order_detail(&user, id).await;
    let history = detail["status_history"].as_array().unwrap();
    let statuses: Vec<&str> = history
        .iter()
        .map(|h| h["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["pending", "processing", "shipped", "delivered"]);
    assert_eq!(history[2]["notes"], "to shipped");
    assert_ne!(history[2]["created_by"], json!(user.id));

    // Admin cancel restocks; then cancelled is final.
    let before = s.stock(5).await;
    let id = s.order_ok(&user, address, 5, 3).await;
    let path = format!("/api/orders/{id}/status");
    let r = s
        .call(
            "PUT",
            &path,
            Some(&admin),
            Some(json!({"status": "shipped"})),
        )
        .await;
    assert_eq!(r.status, 200);
    let r = s
        .call(
            "PUT",
            &path,
            Some(&admin),
            Some(json!({"status": "cancelled", "notes": "lost in transit"})),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["order"]["status"], "cancelled");
    assert_eq!(s.stock(5).await, before);
    let r = s
        .call(
            "PUT",
            &path,
            Some(&admin),
            Some(json!({"status": "processing"})),
        )
        .await;
    assert_eq!(
        (r.status, r.error()),
        (400, "Cannot change status of order with status 'cancelled'")
    );
    assert_eq!(s.stock(5).await, before);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats() {
    let s = start().await;
    let (user, address) = s.customer().await;
    let r = s.get("/api/orders/stats", &user.token).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["total_orders"], 0);
    assert_eq!(r.body["total_spent"], 0.0);
    assert!(r.body["most_recent_order"].is_null());
    assert_eq!(r.body["status_counts"]["pending"], 0);

    let a = s.order_ok(&user, address, 1, 1).await;
    let b = s.order_ok(&user, address, 2, 1).await;
    s.call(
        "POST",
        &format!("/api/orders/{a}/cancel"),
        Some(&user.token),
        None,
    )
    .await;
    let (other, other_address) = s.customer().await;
    s.order_ok(&other, other_address, 3, 1).await;

    let r = s.get("/api/orders/stats", &user.token).await;
    assert_eq!(r.body["total_orders"], 2);
    assert_eq!(r.body["status_counts"]["pending"], 1);
    assert_eq!(r.body["status_counts"]["cancelled"], 1);
    assert_eq!(r.body["most_recent_order"]["id"], b);
    let b_total = s.order_detail(&user, b).await["total"].clone();
    assert_eq!(
        r.body["total_spent"], b_total,
        "the orders not cancelled, paid or not"
    );
    let r = s
        .call(
            "POST",
            "/api/orders/stats",
            Some(&user.token),
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status, 405);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generic_failures_are_json() {
    let s = start().await;
    let user = s.register().await;
    let auth = format!("Bearer {}", user.token);

    let r = s.call("GET", "/api/nothing-here", None, None).await;
    assert_eq!((r.status, r.error()), (404, "Not found"));
    assert!(r.content_type.starts_with("application/json"));
    let r = s
        .call("DELETE", "/api/orders", Some(&user.token), None)
        .await;
    assert_eq!((r.status, r.error()), (405, "Method not allowed"));
    assert!(r.content_type.starts_with("application/json"));
    let r = s.call("GET", "/api/auth/login", None, None).await;
    assert_eq!(r.status, 405);
    // A path axum itself rejects (not UTF-8) still answers JSON.
    let r = s.get("/api/orders/%FF", &user.token).await;
    assert_eq!((r.status, r.error()), (400, "Bad Request"));

    let r = s
        .raw(
            "POST",
            "/api/auth/login",
            &[("content-type", "application/json")],
            b"{\"email\": ".to_vec(),
        )
        .await;
    assert_eq!((r.status, r.error()), (400, "Invalid JSON body"));
    let r = s
        .raw(
            "POST",
            "/api/auth/login",
            &[("content-type", "application/json")],
            b"[1]".to_vec(),
        )
        .await;
    assert_eq!(r.status, 400);
    let r = s
        .raw(
            "POST",
            "/api/auth/login",
            &[("content-type", "text/plain")],
            b"{}".to_vec(),
        )
        .await;
    assert_eq!(r.status, 415, "{r:?}");
    let r = s.raw("POST", "/api/auth/login", &[], b"{}".to_vec()).await;
    assert_eq!(r.status, 415, "{r:?}");
    let r = s
        .raw(
            "POST",
            "/api/orders",
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("authorization", &auth),
            ],
            b"a=1".to_vec(),
        )
        .await;
    assert_eq!(r.status, 415, "{r:?}");

    let mut big = b"{\"pad\": \"".to_vec();
    big.extend(std::iter::repeat_n(b'x', 1024 * 1024 + 10));
    big.extend(b"\"}");
    let r = s
        .raw(
            "POST",
            "/api/orders",
            &[
                ("content-type", "application/json"),
                ("authorization", &auth),
            ],
            big,
        )
        .await;
    assert_eq!(r.status, 413, "{r:?}");
    assert!(r.body["error"].is_string());
    // The server is still fine afterwards.
    assert_eq!(s.get("/api/auth/me", &user.token).await.status, 200);

    for r in [
        s.raw(
            "POST",
            "/api/orders",
            &[
                ("content-type", "application/json"),
                ("authorization", &auth),
            ],
            b"{\"items\":".to_vec(),
        )
        .await,
        s.get(
            "/api/orders?page=%27%3B%20DROP%20TABLE%20orders",
            &user.token,
        )
        .await,
        s.get("/api/orders/1%27%20OR%201=1", &user.token).await,
        s.call(
            "POST",
            "/api/auth/register",
            None,
            Some(json!({"email": "x'--@a.b", "password": 5})),
        )
        .await,
    ] {
        assert!(r.status >= 400 && r.status < 500, "{r:?}");
        assert!(r.body["error"].is_string(), "{r:?}");
        assert_no_internals(&r);
    }
    s.stop().await;
}

/// `gigcheck sandbox`: prints where it is and who the admin is, serves, stops on Ctrl-C.
#[test]
fn the_command() {
    use std::io::{BufRead, BufReader, Read, Write};
    let bin = env!("CARGO_BIN_EXE_gigcheck");

    let out = std::process::Command::new(bin)
        .args(["sandbox", "--stripe-api", "nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: ") && err.contains("--stripe-api"),
        "{err}"
    );

    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(bin)
        .args(["sandbox", "--port", "0", "--admin-password", "Giv3n!Secret"])
        .arg("--db")
        .arg(dir.path().join("cli.db"))
        .env_remove("GIGCHECK_WEBHOOK_SECRET")
        .env_remove("GIGCHECK_ADMIN_EMAIL")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut banner = String::new();
    while !banner.contains("Press Ctrl-C") {
        let mut line = String::new();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "{banner}");
        banner.push_str(&line);
    }
    assert!(
        !banner.contains("Giv3n!Secret"),
        "a given password is not printed: {banner}"
    );
    assert!(
        banner.contains("admin@giggatek.test (password as given)"),
        "{banner}"
    );
    assert!(
        banner.contains("webhook secret: whsec_"),
        "a generated secret is printed: {banner}"
    );
    let addr = banner
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap()
        .to_string();

    let mut conn = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        conn,
        "GET /api/products/1 HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(status.code(), Some(0), "{rest}{stderr}");
    assert!(rest.contains("sandbox stopped"), "{rest}");
    assert!(
        stderr.contains("sandbox: GET /api/products/1 200"),
        "one line per request: {stderr}"
    );
    assert!(dir.path().join("cli.db").exists());
}
