mod common;
use common::*;

const ORDERS: &str = r#"
name: Orders
tags: [orders]
vars:
  password: "Sup3r$ecretPass"
setup:
  - include: _fragments/login.yaml
    with: { email: "{{unique_email}}", password: "{{password}}" }
scenarios:
  - id: "1.1"
    name: Place an order and see it in the history
    steps:
      - name: Create an order
        request:
          method: POST
          url: /api/orders
          bearer: "{{token}}"
          json: { items: [{ product_id: 1, quantity: 1 }] }
        expect:
          status: 201
          headers:
            content-type: { matches: "^application/json" }
          body:
            $.message: Order created successfully
            $.order.status: { one_of: [pending, processing] }
            $.order.total: 399.99
            $.order.id: { type: integer, gt: 0 }
          schema: created-order.json
        capture:
          order_id: $.order.id
      - name: See it in the history
        request: { method: GET, url: "/api/orders/{{order_id}}", bearer: "{{token}}" }
        expect:
          status: 200
          body:
            $.order.id: "{{order_id}}"
  - id: "4.2"
    name: Cannot cancel twice
    steps:
      - request: { method: POST, url: /api/orders, bearer: "{{token}}", json: { items: [{ product_id: 2, quantity: 1 }] } }
        capture: { order_id: $.order.id }
      - request: { method: POST, url: "/api/orders/{{order_id}}/cancel", bearer: "{{token}}" }
        expect: { status: 200, body: { $.message: { contains: cancelled } } }
      - request: { method: POST, url: "/api/orders/{{order_id}}/cancel", bearer: "{{token}}" }
        expect:
          status: 4xx
          body:
            $.error: "Cannot cancel order with status 'cancelled'"
"#;

const LOGIN: &str = r#"
params: [email, password]
steps:
  - name: Log in
    request:
      method: POST
      url: /api/auth/login
      json: { email: "{{email}}", password: "{{password}}" }
    expect:
      status: 200
      body:
        $.user.email: "{{email}}"
    capture:
      token: $.token
"#;

const CREATED: &str = r#"{
  "type": "object",
  "required": ["message", "order"],
  "properties": { "order": { "$ref": "order.json" }, "message": { "type": "string" } }
}"#;

const ORDER: &str = r#"{
  "type": "object",
  "required": ["id", "status", "total"],
  "properties": {
    "id": { "type": "integer" },
    "status": { "enum": ["pending", "processing", "shipped", "delivered", "cancelled"] },
    "total": { "type": "number" },
    "order_date": { "type": "string", "format": "date-time" }
  }
}"#;

#[test]
fn a_passing_run() {
    let server = start();
    let p = Project::new();
    p.write("specs/orders.yaml", ORDERS)
        .write("specs/_fragments/login.yaml", LOGIN)
        .write("fixtures/schemas/created-order.json", CREATED)
        .write("fixtures/schemas/order.json", ORDER);
    let out = p.gigcheck(&["run", "--base-url", &server.url]);
    println!("{}", out.all());
    assert_eq!(out.code, 0, "{}", out.all());
}

#[test]
fn scratch_failures() {
    let server = start();
    let p = Project::new();
    let bad = ORDERS.replace("$.order.total: 399.99", "$.order.total: 1").replace("\"enum\"", "\"x\"").replace("status: 4xx", "status: 200");
    p.write("specs/orders.yaml", &bad)
        .write("specs/_fragments/login.yaml", LOGIN)
        .write("fixtures/schemas/created-order.json", CREATED)
        .write("fixtures/schemas/order.json", &ORDER.replace("\"type\": \"integer\"", "\"type\": \"string\""));
    let out = p.gigcheck(&["run", "--base-url", &server.url]);
    println!("{}", out.all());
    println!("{}", p.read("reports/junit.xml"));
}
