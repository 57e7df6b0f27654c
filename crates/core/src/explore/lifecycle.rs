//! Walks through an order's life, made once per exploration before the drawn requests: each is a
//! fixed sequence of calls (order, pay, cancel, refund, an administrator's moves) with the state
//! the contract promises checked after every step — stock taken and given back, a paid order
//! refunded in full and never more, a declined payment leaving no order, final statuses final.
//! Drawn requests reach these states rarely and never in order; a walk reaches them every time.

use super::found::Finding;
use super::script::{Script, request};
use super::send::{Payment, Shared};
use super::verdict::{Check, excerpt};
use serde_json::{Value, json};
use std::sync::PoisonError;

/// At most this many requests make all the walks (73 when every walk is made to its end).
pub(super) const REQUESTS: u64 = 80;

/// What the walks need from the world, read once.
struct Ground {
    customer: String,
    admin: Option<String>,
    address: Value,
    product: i64,
}

/// Makes every walk the target allows. Returns what could not be walked, and why.
pub(super) async fn walk_all(shared: &Shared, address: Value) -> Vec<String> {
    let mut notes = Vec::new();
    let (customer, admin, products) = {
        let world = shared.world.lock().unwrap_or_else(PoisonError::into_inner);
        (
            world.customer.token.clone(),
            world.admin_token.clone(),
            world.products.clone(),
        )
    };
    // A product with enough stock for two units and a price Stripe can charge.
    let mut chosen = None;
    for id in products.iter().take(10) {
        if let Ok(p) = shared
            .call("GET", &format!("/api/products/{id}"), None, None, 200)
            .await
            && p["stock_quantity"].as_i64().is_none_or(|s| s >= 4)
            && money(&p["purchase_price"]).is_some_and(|price| price >= 0.5)
        {
            chosen = Some(*id);
            break;
        }
    }
    let Some(product) = chosen else {
        notes.push("the order walks were not made: no product in stock at 0.50 or more".into());
        return notes;
    };
    let ground = Ground {
        customer,
        admin,
        address,
        product,
    };
    let mut w = Walk {
        shared,
        name: "an unpaid order, cancelled",
        ground: &ground,
        action: Default::default(),
        script: Default::default(),
        price: Default::default(),
    };
    w.begin("an unpaid order, cancelled");
    w.unpaid_cancelled().await;
    if ground.admin.is_some() {
        w.begin("a shipped order, then delivered");
        w.shipped_is_final().await;
        w.begin("a cancelled order moved on");
        w.cancelled_is_final().await;
    } else {
        notes.push("the administrator's walks were not made: the environment names no administrator (admin_email, admin_password)".into());
    }
    let Some(payment) = &shared.opts.payment else {
        notes.push("the payment walks were not made: the environment gives no way to pay (stripe_url, stripe_publishable_key)".into());
        return notes;
    };
    w.begin("a paid order, cancelled and refunded");
    if let Err(why) = w.paid_cancelled(payment, false).await {
        notes.push(format!("the paid-order walks stopped: {why}"));
        return notes;
    }
    if ground.admin.is_some() {
        w.begin("a paid order, cancelled by an administrator");
        if let Err(why) = w.paid_cancelled(payment, true).await {
            notes.push(format!("the administrator's refund walk stopped: {why}"));
        }
    }
    w.begin("a payment for another amount than the order's total");
    if let Err(why) = w.refused_payment(payment, &payment.card, false).await {
        notes.push(format!("the wrong-amount walk stopped: {why}"));
    }
    match &payment.declined_card {
        Some(card) => {
            w.begin("a declined payment");
            if let Err(why) = w.refused_payment(payment, card, true).await {
                notes.push(format!("the declined-payment walk stopped: {why}"));
            }
        }
        None => notes.push(
            "the declined-payment walk was not made: no declined card (card_declined)".into(),
        ),
    }
    notes
}

/// One walk under way.
struct Walk<'a> {
    shared: &'a Shared,
    name: &'static str,
    ground: &'a Ground,
    /// The last call that changed something (method, path): a rule seen broken afterwards is
    /// that call's doing, whatever call showed it.
    action: std::sync::Mutex<Option<(String, String)>>,
    /// The walk's calls so far, as a spec would make them.
    script: std::sync::Mutex<Script>,
    /// The product's price, once the walk has read it.
    price: std::sync::Mutex<Option<f64>>,
}

/// An order the walk placed: its id, total, and the product's stock before it.
struct Placed {
    id: i64,
    price: f64,
    stock_before: Option<i64>,
}

impl Walk<'_> {
    /// Starts the next walk.
    fn begin(&mut self, name: &'static str) {
        self.name = name;
        *self.action.lock().unwrap_or_else(PoisonError::into_inner) = None;
        *self.price.lock().unwrap_or_else(PoisonError::into_inner) = None;
        let mut script = self.script();
        script.clear();
        script.name(&self.ground.address, "address_id");
    }

    fn script(&self) -> std::sync::MutexGuard<'_, Script> {
        self.script.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The variable a spec's step sends `token` as.
    fn bearer(&self, token: Option<&str>) -> Option<&'static str> {
        match token {
            Some(t) if Some(t) == self.ground.admin.as_deref() => Some("{{admin_token}}"),
            Some(_) => Some("{{token}}"),
            None => None,
        }
    }

    /// Counts a request of the walk, and shows it with `--verbose`.
    fn count(&self, method: &str, path: &str) {
        if method != "GET" && path.starts_with('/') {
            *self.action.lock().unwrap_or_else(PoisonError::into_inner) =
                Some((method.to_string(), path.to_string()));
        }
        self.shared
            .sent
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if let Some(log) = &self.shared.opts.log {
            log(format!("walk ({}): {method} {path}", self.name));
        }
    }

    /// Sends one call and counts it; an answer other than `want` is the finding (a server error
    /// or a broken rule) and ends the walk (`None`), since every later step stands on it.
    async fn step(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        want: u16,
        rule: &str,
    ) -> Option<Value> {
        self.step_when(method, path, token, body, |s| s == want, json!(want), rule)
            .await
    }

    /// [`Walk::step`] for an answer `ok` accepts; `status` says which, as a spec says it.
    #[allow(clippy::too_many_arguments)]
    async fn step_when(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        ok: impl Fn(u16) -> bool,
        status: Value,
        rule: &str,
    ) -> Option<Value> {
        self.count(method, path);
        let mut spec = request(method, path, self.bearer(token));
        if let Some(body) = &body {
            spec["json"] = body.clone();
        }
        let wanted = match &status {
            Value::String(range) => format!("a {range}"),
            other => other.to_string(),
        };
        self.script().call(rule, spec, status);
        match self.shared.call_any(method, path, token, body).await {
            Ok((status, value, _)) if ok(status) => Some(value),
            // A rate limit says nothing of the rule; the walk just ends.
            Ok((429, _, _)) => None,
            Ok((status, _, text)) => {
                let check = if status >= 500 {
                    Check::ServerError
                } else {
                    Check::Lifecycle
                };
                self.broken(
                    check,
                    method,
                    path,
                    rule,
                    format!("answered {status}, not {wanted}: {}", excerpt(&text)),
                    true,
                );
                None
            }
            Err(e) => {
                self.broken(
                    Check::ServerError,
                    method,
                    path,
                    rule,
                    format!("no answer: {e}"),
                    true,
                );
                None
            }
        }
    }

    /// Records that `rule` broke at `method path`, or at the last call that changed something
    /// when it is a rule seen afterwards (ids in the path stand for `{id}` in its route). With
    /// `saved`, the walk so far goes with it as a spec's steps: the last of them checks the rule.
    fn broken(
        &self,
        check: Check,
        method: &str,
        path: &str,
        rule: &str,
        message: String,
        saved: bool,
    ) {
        let action = self
            .action
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let (method, path) = match &action {
            Some((m, p)) if method == "GET" && check == Check::Lifecycle => {
                (m.as_str(), p.as_str())
            }
            _ => (method, path),
        };
        let route = format!("{method} {}", route_of(path));
        let redactor = &self.shared.opts.redactor;
        let finding = Finding {
            what: format!("{} — {rule}", self.name),
            request: redactor.text(&format!("{method} {}", self.shared.url(path))),
            body: None,
            message: redactor.text(&message),
            replay: None,
            prepared: None,
            script: saved.then(|| self.script().steps()),
        };
        // One rule broken in several walks is one cause.
        let across = (check == Check::Lifecycle).then(|| rule.to_string());
        self.shared.record(check, &route, across, finding);
    }

    /// Checks a rule seen in the answer to the last call (`method path`); the walk goes on
    /// either way. `spec` is the rule as that call's assertion (path, value), when a spec can
    /// say it: then a broken rule is saved with the walk.
    fn expect(
        &self,
        ok: bool,
        (method, path): (&str, &str),
        rule: &str,
        message: String,
        spec: Option<(&str, Value)>,
    ) {
        let saved = spec.is_some();
        if let Some((at, value)) = spec {
            self.script().assert(at, value);
        }
        if !ok {
            self.broken(Check::Lifecycle, method, path, rule, message, saved);
        }
    }

    /// The product as the catalogue shows it now (a step the spec makes too).
    async fn product(&self) -> Option<Value> {
        let path = format!("/api/products/{}", self.ground.product);
        self.step(
            "GET",
            &path,
            None,
            None,
            200,
            "the catalogue shows the product",
        )
        .await
    }

    /// The product's stock before a change, kept as `stock_before`.
    async fn stock(&self) -> Option<i64> {
        let product = self.product().await?;
        self.script().capture("stock_before", "$.stock_quantity");
        product["stock_quantity"].as_i64()
    }

    /// Checks the stock is `before` less `taken` (when the catalogue shows stock at all).
    async fn stock_is(&self, before: Option<i64>, taken: i64, after: &str, rule: &str) {
        let Some(before) = before else {
            return;
        };
        let Some(now) = self
            .product()
            .await
            .and_then(|p| p["stock_quantity"].as_i64())
        else {
            return;
        };
        let want = before - taken;
        let path = format!("/api/products/{}", self.ground.product);
        let spec = match taken {
            0 => "{{stock_before}}".to_string(),
            n if n > 0 => format!("{{{{stock_before | minus({n})}}}}"),
            n => format!("{{{{stock_before | plus({})}}}}", -n),
        };
        self.expect(
            now == want,
            ("GET", &path),
            rule,
            format!(
                "product {} has stock {now} {after}; it should be {want}",
                self.ground.product
            ),
            Some(("$.stock_quantity", json!(spec))),
        );
    }

    /// The product's price, read once a walk and kept as `price`.
    async fn price(&self) -> Option<f64> {
        if let Some(price) = *self.price.lock().unwrap_or_else(PoisonError::into_inner) {
            return Some(price);
        }
        let product = self.product().await?;
        self.script().capture("price", "$.purchase_price");
        let price = money(&product["purchase_price"]);
        *self.price.lock().unwrap_or_else(PoisonError::into_inner) = price;
        price
    }

    /// An order of `quantity` units of the walks' product, shipped to the customer's address,
    /// paid by `intent` if given.
    fn order_body(&self, quantity: i64, intent: Option<&str>) -> Value {
        let address = &self.ground.address;
        let mut body = json!({
            "items": [{ "product_id": self.ground.product, "quantity": quantity }],
            "shipping_address_id": address, "billing_address_id": address,
            "shipping_method": "standard",
        });
        if let Some(intent) = intent {
            body["payment_intent_id"] = json!(intent);
        }
        body
    }

    /// Places an order of `quantity` units, paid by `intent` if given, and checks what the
    /// answer says of it.
    async fn place(&self, quantity: i64, intent: Option<&str>) -> Option<Placed> {
        let price = self.price().await?;
        let stock_before = self.stock().await;
        let body = self.order_body(quantity, intent);
        let path = "/api/orders";
        let answer = self
            .step(
                "POST",
                path,
                Some(&self.ground.customer),
                Some(body),
                201,
                "a valid order is placed",
            )
            .await?;
        let order = &answer["order"];
        let id = order["id"].as_i64()?;
        {
            let mut script = self.script();
            script.capture("order_id", "$.order.id");
            script.name(&order["id"], "order_id");
        }
        let total = money(&order["total"]);
        let want_total = price * quantity as f64;
        let spec_total = match quantity {
            1 => "{{price}}".to_string(),
            n => format!("{{{{price | times({n})}}}}"),
        };
        self.expect(
            total.is_none_or(|t| (t - want_total).abs() < 0.005),
            ("POST", path),
            "an order's total is the catalogue's price times the quantity",
            format!("{quantity} × {price} came to a total of {}", order["total"]),
            Some(("$.order.total", json!(spec_total))),
        );
        let (status, paid) = match intent {
            Some(_) => ("processing", "paid"),
            None => ("pending", "pending"),
        };
        self.script().assert("$.order.status", json!(status));
        self.expect(
            order["status"].as_str().is_none_or(|s| s == status)
                && order["payment_status"].as_str().is_none_or(|s| s == paid),
            ("POST", path),
            if intent.is_some() {
                "an order paid up front starts processing and paid"
            } else {
                "an unpaid order starts pending"
            },
            format!(
                "the new order is {} / {}, not {status} / {paid}",
                order["status"], order["payment_status"]
            ),
            Some(("$.order.payment_status", json!(paid))),
        );
        self.stock_is(
            stock_before,
            quantity,
            "after the order",
            "an order takes its units from the stock",
        )
        .await;
        Some(Placed {
            id,
            price: want_total,
            stock_before,
        })
    }

    /// The order as its owner sees it.
    async fn detail(&self, id: i64) -> Option<Value> {
        self.step(
            "GET",
            &format!("/api/orders/{id}"),
            Some(&self.ground.customer),
            None,
            200,
            "a customer sees their own order",
        )
        .await
        .map(|v| v["order"].clone())
    }

    /// Checks the order's status and payment status; `paid` `None` means "anything but refunded".
    async fn order_is(&self, id: i64, status: &str, paid: Option<&str>, rule: &str) {
        let Some(order) = self.detail(id).await else {
            return;
        };
        let payment = order["payment_status"].as_str().unwrap_or_default();
        let ok = order["status"].as_str() == Some(status)
            && match paid {
                Some(want) => payment == want,
                None => payment != "refunded",
            };
        self.script().assert("$.order.status", json!(status));
        let spec_paid = match paid {
            Some(want) => json!(want),
            None => json!({ "not_equals": "refunded" }),
        };
        self.expect(
            ok,
            ("GET", &format!("/api/orders/{id}")),
            rule,
            format!(
                "order {id} is {} / {}, not {status} / {}",
                order["status"],
                order["payment_status"],
                paid.unwrap_or("not refunded")
            ),
            Some(("$.order.payment_status", spec_paid)),
        );
    }

    /// Cancels and checks the answer; `None` when the cancel was refused.
    async fn cancel(&self, id: i64) -> Option<Value> {
        let path = format!("/api/orders/{id}/cancel");
        let answer = self
            .step(
                "POST",
                &path,
                Some(&self.ground.customer),
                None,
                200,
                "a pending or processing order can be cancelled",
            )
            .await?;
        self.expect(
            answer["order"]["status"]
                .as_str()
                .is_none_or(|s| s == "cancelled"),
            ("POST", &path),
            "a cancelled order is cancelled",
            format!("the cancel answered status {}", answer["order"]["status"]),
            None,
        );
        self.shared
            .world
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .cancelled
            .insert(id);
        Some(answer)
    }

    /// The customer's cancel, which the order's status must refuse with 400.
    async fn cancel_refused(&self, id: i64, rule: &str) -> bool {
        self.step(
            "POST",
            &format!("/api/orders/{id}/cancel"),
            Some(&self.ground.customer),
            None,
            400,
            rule,
        )
        .await
        .is_some()
    }

    /// A second cancel is refused and changes nothing.
    async fn cancel_again(&self, id: i64, paid: Option<&str>) {
        self.cancel_refused(id, "a cancelled order cannot be cancelled again")
            .await;
        self.order_is(id, "cancelled", paid, "a second cancel changes nothing")
            .await;
    }

    async fn unpaid_cancelled(&self) {
        let Some(order) = self.place(2, None).await else {
            return;
        };
        let path = format!("/api/orders/{}/cancel", order.id);
        let Some(answer) = self.cancel(order.id).await else {
            return;
        };
        self.expect(
            answer["refund"].is_null()
                && answer["order"]["payment_status"].as_str() != Some("refunded"),
            ("POST", &path),
            "an unpaid order is not refunded",
            format!(
                "the cancel answered refund {} and payment status {}",
                answer["refund"], answer["order"]["payment_status"]
            ),
            // The answer may leave `refund` out or send null: the order's detail says the same
            // thing in a form a spec can check, and is checked next.
            None,
        );
        self.stock_is(
            order.stock_before,
            0,
            "after the cancel",
            "a cancel gives the units back to the stock",
        )
        .await;
        if let Some(detail) = self.detail(order.id).await {
            let history: Vec<&str> = detail["status_history"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|row| row["status"].as_str())
                .collect();
            self.script().assert(
                "$.order.status_history[*].status",
                json!({ "contains": "pending" }),
            );
            self.expect(
                history.contains(&"pending") && history.contains(&"cancelled"),
                ("GET", &format!("/api/orders/{}", order.id)),
                "the history records the order and its cancel",
                format!("the status history is {history:?}"),
                Some((
                    "$.order.status_history[*]['status']",
                    json!({ "contains": "cancelled" }),
                )),
            );
        }
        self.order_is(
            order.id,
            "cancelled",
            None,
            "a cancelled order is cancelled",
        )
        .await;
        self.cancel_again(order.id, None).await;
    }

    /// An administrator sets `status`; the answer must be `want`.
    async fn set_status(&self, id: i64, status: &str, want: u16, rule: &str) -> Option<Value> {
        let admin = self.ground.admin.as_deref()?;
        self.step(
            "PUT",
            &format!("/api/orders/{id}/status"),
            Some(admin),
            Some(json!({ "status": status })),
            want,
            rule,
        )
        .await
    }

    /// Shipped: the customer can no longer cancel, and the stock stays sold. Delivered is final.
    async fn shipped_is_final(&self) {
        let Some(order) = self.place(1, None).await else {
            return;
        };
        if self
            .set_status(
                order.id,
                "shipped",
                200,
                "an administrator moves an order on",
            )
            .await
            .is_none()
        {
            return;
        }
        if self
            .cancel_refused(
                order.id,
                "only pending and processing orders can be cancelled",
            )
            .await
        {
            self.order_is(
                order.id,
                "shipped",
                None,
                "a refused cancel changes nothing",
            )
            .await;
            self.stock_is(
                order.stock_before,
                1,
                "after a refused cancel",
                "a refused cancel changes nothing",
            )
            .await;
        } else {
            // The cancel went through (reported): what follows would only repeat it.
            return;
        }
        if self
            .set_status(
                order.id,
                "delivered",
                200,
                "an administrator moves an order on",
            )
            .await
            .is_some()
            && self
                .cancel_refused(
                    order.id,
                    "only pending and processing orders can be cancelled",
                )
                .await
            && self
                .set_status(
                    order.id,
                    "processing",
                    400,
                    "a delivered order stays delivered",
                )
                .await
                .is_some()
        {
            self.order_is(
                order.id,
                "delivered",
                None,
                "a delivered order stays delivered",
            )
            .await;
        }
    }

    /// A cancelled order cannot be moved on by an administrator.
    async fn cancelled_is_final(&self) {
        let Some(order) = self.place(1, None).await else {
            return;
        };
        if self.cancel(order.id).await.is_some()
            && self
                .set_status(
                    order.id,
                    "processing",
                    400,
                    "a cancelled order stays cancelled",
                )
                .await
                .is_some()
        {
            self.order_is(
                order.id,
                "cancelled",
                None,
                "a cancelled order stays cancelled",
            )
            .await;
        }
    }

    /// A payment intent for `amount` cents, confirmed with `card` as Stripe.js would; the
    /// intent's id and Stripe's status.
    async fn pay(
        &self,
        payment: &Payment,
        (amount, spec_amount): (i64, &str),
        card: &str,
    ) -> Result<(String, String), String> {
        let path = "/api/payment/create-payment-intent";
        let intent = self
            .step(
                "POST",
                path,
                Some(&self.ground.customer),
                Some(json!({ "amount": amount, "currency": "usd" })),
                200,
                "a customer can create a payment intent",
            )
            .await
            .ok_or("creating a payment intent failed (reported)")?;
        let id = intent["payment_intent"]
            .as_str()
            .ok_or("the payment intent's answer has no id in payment_intent")?
            .to_string();
        let secret = intent["client_secret"].as_str().unwrap_or_default();
        {
            let mut script = self.script();
            script.patch("/request/json/amount", json!(spec_amount));
            script.capture("intent_id", "$.payment_intent");
            script.capture("client_secret", "$.client_secret");
            script.name(&intent["payment_intent"], "intent_id");
            script.name(&intent["client_secret"], "client_secret");
        }
        let confirmed = self
            .stripe(
                payment,
                "POST",
                &format!("v1/payment_intents/{id}/confirm"),
                (&payment.publishable_key, "{{stripe_publishable_key}}"),
                Some(&[("client_secret", secret), ("payment_method", card)]),
            )
            .await?;
        Ok((
            id,
            confirmed["status"].as_str().unwrap_or_default().to_string(),
        ))
    }

    /// One call to Stripe's API; what it answered, or why it could not be used.
    /// `key` is the key and the variable a spec sends it as.
    async fn stripe(
        &self,
        payment: &Payment,
        method: &str,
        path: &str,
        (key, key_var): (&str, &str),
        form: Option<&[(&str, &str)]>,
    ) -> Result<Value, String> {
        let url = payment
            .stripe_api
            .join(path)
            .map_err(|e| format!("Stripe's URL {}: {e}", payment.stripe_api))?;
        let (bare, query) = path.split_once('?').unwrap_or((path, ""));
        let mut spec = request(method, &format!("{{{{stripe_url}}}}/{bare}"), Some(key_var));
        if !query.is_empty() {
            let pairs: serde_json::Map<String, Value> = form_urlencoded::parse(query.as_bytes())
                .map(|(k, v)| (k.into_owned(), json!(v)))
                .collect();
            spec["query"] = Value::Object(pairs);
        }
        if let Some(pairs) = form {
            let pairs: serde_json::Map<String, Value> = pairs
                .iter()
                .map(|(k, v)| (k.to_string(), json!(v)))
                .collect();
            spec["form"] = Value::Object(pairs);
        }
        self.script().call(
            "Stripe, as a browser or an auditor reaches it",
            spec,
            json!([200, 402]),
        );
        let form = form.map(|pairs| {
            form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs.iter())
                .finish()
        });
        let mut headers = vec![("Authorization".to_string(), format!("Bearer {key}"))];
        if form.is_some() {
            headers.push((
                "Content-Type".to_string(),
                "application/x-www-form-urlencoded".to_string(),
            ));
        }
        self.count(method, url.as_str());
        let incoming = self
            .shared
            .send(method, url.clone(), headers, form.map(String::into_bytes))
            .await
            .map_err(|e| format!("Stripe at {url}: {e}"))?;
        let value: Value = serde_json::from_slice(&incoming.body).unwrap_or(Value::Null);
        if incoming.status == 200 || incoming.status == 402 {
            Ok(value)
        } else {
            Err(format!(
                "Stripe answered {method} {path} with {}: {}",
                incoming.status,
                excerpt(&String::from_utf8_lossy(&incoming.body))
            ))
        }
    }

    /// The cents Stripe refunded for an intent, when the walk may read them.
    async fn refunded(&self, payment: &Payment, intent: &str) -> Option<i64> {
        let key = payment.audit_key.as_deref()?;
        let list = self
            .stripe(
                payment,
                "GET",
                &format!("v1/refunds?payment_intent={intent}"),
                (key, "{{stripe_audit_key}}"),
                None,
            )
            .await
            .ok()?;
        Some(
            list["data"]
                .as_array()?
                .iter()
                .filter(|r| r["status"].as_str() != Some("failed"))
                .filter_map(|r| r["amount"].as_i64())
                .sum(),
        )
    }

    /// Pays up front, places the order, cancels it (as its customer, or as an administrator
    /// through `/status`), and follows the money.
    async fn paid_cancelled(&self, payment: &Payment, by_admin: bool) -> Result<(), String> {
        let price = self.price().await.ok_or("the product has no price")?;
        let cents = (price * 100.0).round() as i64;
        let (intent, status) = self
            .pay(payment, (cents, "{{price | cents}}"), &payment.card)
            .await?;
        if status != "succeeded" {
            return Err(format!(
                "Stripe left the payment {status:?} with card {}",
                payment.card
            ));
        }
        let Some(order) = self.place(1, Some(&intent)).await else {
            return Ok(());
        };
        let id = order.id;
        if let Some(detail) = self.detail(id).await {
            let amounts: Vec<f64> = detail["payments"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| money(&p["amount"]))
                .collect();
            self.expect(
                amounts.iter().any(|a| same_money(*a, order.price, cents)),
                ("GET", &format!("/api/orders/{id}")),
                "a paid order has a payment row for its total",
                format!("order {id} of {} has payments {amounts:?}", order.price),
                Some((
                    "$.order.payments[*].amount",
                    json!({ "contains": "{{price}}" }),
                )),
            );
        }
        let path = if by_admin {
            let answer = self
                .set_status(
                    id,
                    "cancelled",
                    200,
                    "an administrator can cancel a paid order",
                )
                .await;
            if answer.is_none() {
                return Ok(());
            }
            self.shared
                .world
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .cancelled
                .insert(id);
            format!("/api/orders/{id}/status")
        } else {
            let Some(answer) = self.cancel(id).await else {
                return Ok(());
            };
            let path = format!("/api/orders/{id}/cancel");
            if let Some(amount) = answer["refund"]["amount"].as_f64() {
                self.expect(
                    amount <= cents as f64,
                    ("POST", &path),
                    "a refund never exceeds the payment",
                    format!("refunded {amount} of a payment of {cents} cents"),
                    None,
                );
                self.expect(
                    same_money(amount, order.price, cents) || amount > cents as f64,
                    ("POST", &path),
                    "a paid order's cancel refunds its full amount",
                    format!("refunded {amount} of a payment of {cents} cents"),
                    None,
                );
            }
            path
        };
        let method = if by_admin { "PUT" } else { "POST" };
        if let Some(refunded) = self.refunded(payment, &intent).await {
            // As a spec says it: one refund, of the whole payment.
            self.expect(
                refunded <= cents,
                (method, &path),
                "a refund never exceeds the payment",
                format!("Stripe refunded {refunded} cents of a payment of {cents}"),
                Some(("$.data", json!({ "length": 1 }))),
            );
            self.expect(
                refunded >= cents,
                (method, &path),
                "a paid order's cancel refunds its full amount",
                format!("Stripe refunded {refunded} cents of a payment of {cents}"),
                Some((
                    "$.data[*].amount",
                    json!({ "contains": "{{price | cents}}" }),
                )),
            );
        }
        self.order_is(
            id,
            "cancelled",
            Some("refunded"),
            "a cancelled paid order is refunded",
        )
        .await;
        self.stock_is(
            order.stock_before,
            0,
            "after the cancel",
            "a cancel gives the units back to the stock",
        )
        .await;
        if !by_admin {
            let before = self.refunded(payment, &intent).await;
            self.cancel_again(id, Some("refunded")).await;
            if let (Some(before), Some(after)) = (before, self.refunded(payment, &intent).await) {
                self.expect(
                    after == before,
                    ("POST", &path),
                    "a refund never exceeds the payment",
                    format!("a second cancel took Stripe's refunds from {before} to {after} cents"),
                    Some(("$.data", json!({ "length": 1 }))),
                );
            }
        }
        Ok(())
    }

    /// How many orders the customer has, as their list's pagination says (kept as
    /// `orders_before` with `keep`).
    async fn order_count(&self, keep: bool) -> Option<i64> {
        let list = self
            .step(
                "GET",
                "/api/orders",
                Some(&self.ground.customer),
                None,
                200,
                "a customer lists their orders",
            )
            .await?;
        if keep {
            self.script().capture("orders_before", "$.pagination.total");
        }
        list["pagination"]["total"].as_i64()
    }

    /// A payment the order cannot stand on — a declined card (`declined`), or a card payment of
    /// another amount than the order's total: the order is refused (402 for a payment that did
    /// not succeed, any 4xx for the wrong amount), and neither an order nor stock moves.
    async fn refused_payment(
        &self,
        payment: &Payment,
        card: &str,
        declined: bool,
    ) -> Result<(), String> {
        let price = self.price().await.ok_or("the product has no price")?;
        let cents = (price * 100.0).round() as i64;
        let orders_before = self.order_count(true).await;
        let stock_before = self.stock().await;
        let amount = if declined {
            (cents, "{{price | cents}}")
        } else {
            (cents + 100, "{{price | cents | plus(100)}}")
        };
        let (intent, status) = self.pay(payment, amount, card).await?;
        match (declined, status == "succeeded") {
            (true, true) => return Err(format!("Stripe accepted the declined card {card}")),
            (false, false) => {
                return Err(format!(
                    "Stripe left the payment {status:?} with card {card}"
                ));
            }
            _ => {}
        }
        let body = self.order_body(1, Some(&intent));
        let (refused, wanted, rule): (fn(u16) -> bool, Value, &str) = if declined {
            (
                |s| s == 402,
                json!(402),
                "an order with a payment that did not succeed is refused with 402",
            )
        } else {
            (
                |s| (400..500).contains(&s),
                json!("4xx"),
                "an order paid for another amount than its total is refused",
            )
        };
        let placed = self
            .step_when(
                "POST",
                "/api/orders",
                Some(&self.ground.customer),
                Some(body),
                refused,
                wanted,
                rule,
            )
            .await;
        if placed.is_none() {
            return Ok(());
        }
        let orders_after = self.order_count(false).await;
        if let (Some(before), Some(after)) = (orders_before, orders_after) {
            self.expect(
                before == after,
                ("POST", "/api/orders"),
                "a refused payment leaves no order",
                format!("the customer had {before} orders before and {after} after"),
                Some(("$.pagination.total", json!("{{orders_before}}"))),
            );
        }
        self.stock_is(
            stock_before,
            0,
            "after a refused payment",
            "a refused payment takes no stock",
        )
        .await;
        Ok(())
    }
}

/// Money as the contract allows it: a number or a decimal string.
fn money(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Whether `amount` is the payment, in dollars or in cents (the contract names no unit).
fn same_money(amount: f64, dollars: f64, cents: i64) -> bool {
    (amount - dollars).abs() < 0.005 || (amount - cents as f64).abs() < 0.5
}

/// `/api/orders/12/cancel` → `/api/orders/{id}/cancel`.
fn route_of(path: &str) -> String {
    path.split('?')
        .next()
        .unwrap_or_default()
        .split('/')
        .map(|s| if s.parse::<i64>().is_ok() { "{id}" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_a_number_or_a_decimal_string() {
        assert_eq!(money(&json!(12.5)), Some(12.5));
        assert_eq!(money(&json!("12.50")), Some(12.5));
        assert_eq!(money(&json!("twelve")), None);
        assert_eq!(money(&Value::Null), None);
    }

    #[test]
    fn a_payment_reads_in_dollars_or_cents() {
        assert!(same_money(129.99, 129.99, 12999));
        assert!(same_money(12999.0, 129.99, 12999));
        assert!(!same_money(130.0, 129.99, 12999));
        assert!(!same_money(6499.0, 129.99, 12999));
    }

    #[test]
    fn ids_in_a_path_become_the_route() {
        assert_eq!(route_of("/api/orders/12/cancel"), "/api/orders/{id}/cancel");
        assert_eq!(route_of("/api/orders?page=2"), "/api/orders");
    }
}
