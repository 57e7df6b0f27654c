//! The slice of JavaScript that Postman test scripts are written in, read one line at a time:
//! literals, identifiers, member chains, calls, `!`, comparisons, `&&`/`||`, `in`, regex literals,
//! `var x = …` and `x = …`. Anything else (functions, `if`, template strings with `${}`) is not
//! read, and the caller keeps the line as it was. Structure around statements — `pm.test(…,
//! function () {`, `try {`, `} catch (e) {`, closing braces — is recognised and set aside.

use serde_json::Value;

/// Reads the statements of one line; `None` when any part is outside the subset.
pub(super) fn read_line(line: &str) -> Option<Vec<Stmt>> {
    let toks = lex(line)?;
    let negations = toks
        .windows(MAX_NESTING)
        .any(|w| w.iter().all(|t| *t == Tok::P("!")));
    if toks.len() > MAX_TOKENS || nesting(&toks) > MAX_NESTING || negations {
        return None;
    }
    statements(toks).into_iter().map(parse_statement).collect()
}

/// Lines longer or deeper than this are not read (the parser is recursive).
const MAX_TOKENS: usize = 4096;
const MAX_NESTING: usize = 64;

/// The deepest bracket nesting in a line.
fn nesting(toks: &[Tok]) -> usize {
    let mut depth = 0usize;
    let mut max = 0;
    for t in toks {
        match t {
            Tok::P("(" | "[" | "{") => {
                depth += 1;
                max = max.max(depth);
            }
            Tok::P(")" | "]" | "}") => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Num(String),
    Str(String),
    Regex(String, String),
    P(&'static str),
}

const PUNCT: &[&str] = &[
    "===", "!==", "=>", "==", "!=", "<=", ">=", "&&", "||", "(", ")", "[", "]", "{", "}", ".", ",",
    ";", "=", "!", "<", ">", ":", "?", "+", "-", "*", "%",
];

fn lex(src: &str) -> Option<Vec<Tok>> {
    let chars: Vec<char> = src.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '/' && chars.get(i + 1) == Some(&'/') {
            break;
        } else if c == '/' && chars.get(i + 1) == Some(&'*') {
            let rest: String = chars[i + 2..].iter().collect();
            i += 2 + rest.find("*/")? + 2;
        } else if c == '/' {
            if !regex_allowed(toks.last()) {
                return None;
            }
            let (tok, next) = lex_regex(&chars, i)?;
            toks.push(tok);
            i = next;
        } else if c == '"' || c == '\'' || c == '`' {
            let (s, next) = lex_string(&chars, i)?;
            toks.push(Tok::Str(s));
            i = next;
        } else if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                i += 1;
            }
            toks.push(Tok::Num(chars[start..i].iter().collect()));
        } else if c.is_alphabetic() || c == '_' || c == '$' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$')
            {
                i += 1;
            }
            toks.push(Tok::Ident(chars[start..i].iter().collect()));
        } else {
            let rest: String = chars[i..chars.len().min(i + 3)].iter().collect();
            let p = PUNCT.iter().find(|p| rest.starts_with(**p))?;
            toks.push(Tok::P(p));
            i += p.chars().count();
        }
    }
    Some(toks)
}

fn regex_allowed(prev: Option<&Tok>) -> bool {
    match prev {
        None => true,
        Some(Tok::P(p)) => !matches!(*p, ")" | "]" | "}"),
        Some(Tok::Ident(w)) => matches!(w.as_str(), "return" | "typeof"),
        _ => false,
    }
}

fn lex_regex(chars: &[char], start: usize) -> Option<(Tok, usize)> {
    let mut i = start + 1;
    let mut pattern = String::new();
    let mut in_class = false;
    loop {
        let c = *chars.get(i)?;
        match c {
            '\\' => {
                pattern.push(c);
                pattern.push(*chars.get(i + 1)?);
                i += 2;
                continue;
            }
            '[' => in_class = true,
            ']' => in_class = false,
            '/' if !in_class => break,
            _ => {}
        }
        pattern.push(c);
        i += 1;
    }
    i += 1;
    let mut flags = String::new();
    while i < chars.len() && chars[i].is_ascii_alphabetic() {
        flags.push(chars[i]);
        i += 1;
    }
    Some((Tok::Regex(pattern, flags), i))
}

fn lex_string(chars: &[char], start: usize) -> Option<(String, usize)> {
    let quote = chars[start];
    let mut i = start + 1;
    let mut out = String::new();
    loop {
        let c = *chars.get(i)?;
        if c == quote {
            return Some((out, i + 1));
        }
        if quote == '`' && c == '$' && chars.get(i + 1) == Some(&'{') {
            return None;
        }
        if c != '\\' {
            out.push(c);
            i += 1;
            continue;
        }
        let e = *chars.get(i + 1)?;
        i += 2;
        match e {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            '0' => out.push('\0'),
            'u' => {
                let hex: String = chars.get(i..i + 4)?.iter().collect();
                out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                i += 4;
            }
            other => out.push(other),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Expr {
    Lit(Value),
    Undefined,
    Ident(String),
    Regex(String, String),
    Array(Vec<Expr>),
    Object(Vec<(String, Expr)>),
    Member(Box<Expr>, String),
    Index(Box<Expr>, Box<Expr>),
    Call(Box<Expr>, Vec<Expr>),
    Not(Box<Expr>),
    Bin(&'static str, Box<Expr>, Box<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Stmt {
    Declare(Vec<(String, Option<Expr>)>),
    Assign(Expr, Expr),
    Expr(Expr),
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn eat(&mut self, p: &str) -> bool {
        if matches!(self.peek(), Some(Tok::P(q)) if *q == p) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, p: &str) -> Option<()> {
        self.eat(p).then_some(())
    }

    fn ident(&mut self) -> Option<String> {
        match self.next()? {
            Tok::Ident(name) => Some(name),
            _ => None,
        }
    }

    fn statement(&mut self) -> Option<Stmt> {
        if let Some(Tok::Ident(w)) = self.peek()
            && matches!(w.as_str(), "var" | "let" | "const")
        {
            self.pos += 1;
            let mut decls = Vec::new();
            loop {
                let name = self.ident()?;
                let init = if self.eat("=") {
                    Some(self.expr()?)
                } else {
                    None
                };
                decls.push((name, init));
                if !self.eat(",") {
                    break;
                }
            }
            return Some(Stmt::Declare(decls));
        }
        let target = self.expr()?;
        if self.eat("=") {
            let value = self.expr()?;
            return Some(Stmt::Assign(target, value));
        }
        Some(Stmt::Expr(target))
    }

    fn expr(&mut self) -> Option<Expr> {
        self.binary(0)
    }

    fn binary(&mut self, level: usize) -> Option<Expr> {
        const LEVELS: &[&[&str]] = &[
            &["||"],
            &["&&"],
            &["===", "==", "!==", "!="],
            &["<", ">", "<=", ">=", "in"],
        ];
        let Some(ops) = LEVELS.get(level) else {
            return self.unary();
        };
        let mut left = self.binary(level + 1)?;
        loop {
            let op = match self.peek() {
                Some(Tok::P(p)) => ops.iter().find(|o| **o == *p).copied(),
                Some(Tok::Ident(w)) if w == "in" => ops.iter().find(|o| **o == "in").copied(),
                _ => None,
            };
            let Some(op) = op else { break };
            self.pos += 1;
            let right = self.binary(level + 1)?;
            left = Expr::Bin(op, Box::new(left), Box::new(right));
        }
        Some(left)
    }

    fn unary(&mut self) -> Option<Expr> {
        if self.eat("!") {
            return Some(Expr::Not(Box::new(self.unary()?)));
        }
        if self.eat("-") {
            return match self.next()? {
                Tok::Num(n) => number(&format!("-{n}")).map(Expr::Lit),
                _ => None,
            };
        }
        self.postfix()
    }

    fn postfix(&mut self) -> Option<Expr> {
        let mut e = self.primary()?;
        loop {
            if self.eat(".") {
                e = Expr::Member(Box::new(e), self.ident()?);
            } else if self.eat("[") {
                let index = self.expr()?;
                self.expect("]")?;
                e = Expr::Index(Box::new(e), Box::new(index));
            } else if self.eat("(") {
                let args = self.list(")")?;
                e = Expr::Call(Box::new(e), args);
            } else {
                return Some(e);
            }
        }
    }

    fn list(&mut self, close: &str) -> Option<Vec<Expr>> {
        let mut items = Vec::new();
        while !self.eat(close) {
            items.push(self.expr()?);
            if !self.eat(",") {
                self.expect(close)?;
                break;
            }
        }
        Some(items)
    }

    fn primary(&mut self) -> Option<Expr> {
        match self.next()? {
            Tok::Num(n) => number(&n).map(Expr::Lit),
            Tok::Str(s) => Some(Expr::Lit(Value::String(s))),
            Tok::Regex(p, f) => Some(Expr::Regex(p, f)),
            Tok::Ident(w) => Some(match w.as_str() {
                "true" => Expr::Lit(Value::Bool(true)),
                "false" => Expr::Lit(Value::Bool(false)),
                "null" => Expr::Lit(Value::Null),
                "undefined" => Expr::Undefined,
                "function" | "new" | "typeof" | "if" | "for" | "while" | "return" => return None,
                _ => Expr::Ident(w),
            }),
            Tok::P("(") => {
                let e = self.expr()?;
                self.expect(")")?;
                Some(e)
            }
            Tok::P("[") => self.list("]").map(Expr::Array),
            Tok::P("{") => self.object(),
            _ => None,
        }
    }

    fn object(&mut self) -> Option<Expr> {
        let mut fields = Vec::new();
        while !self.eat("}") {
            let key = match self.next()? {
                Tok::Ident(k) | Tok::Str(k) | Tok::Num(k) => k,
                _ => return None,
            };
            self.expect(":")?;
            fields.push((key, self.expr()?));
            if !self.eat(",") {
                self.expect("}")?;
                break;
            }
        }
        Some(Expr::Object(fields))
    }
}

fn number(text: &str) -> Option<Value> {
    let v: Value = serde_json::from_str(text).ok()?;
    v.is_number().then_some(v)
}

/// Parses one statement; `None` when it is not in the subset this reader knows.
fn parse_statement(toks: Vec<Tok>) -> Option<Stmt> {
    let mut p = Parser { toks, pos: 0 };
    let stmt = p.statement()?;
    (p.pos == p.toks.len()).then_some(stmt)
}

fn is_p(t: Option<&Tok>, p: &str) -> bool {
    matches!(t, Some(Tok::P(q)) if *q == p)
}

fn is_ident(t: Option<&Tok>, w: &str) -> bool {
    matches!(t, Some(Tok::Ident(x)) if x == w)
}

/// Length of a `function (…) {`, `(…) => {` or `x => {` head at `toks[i..]` (brace optional).
fn function_head(toks: &[Tok], i: usize) -> Option<usize> {
    let mut j = i;
    if is_ident(toks.get(j), "async") {
        j += 1;
    }
    if is_ident(toks.get(j), "function") {
        j += 1;
        if matches!(toks.get(j), Some(Tok::Ident(_))) {
            j += 1;
        }
        j = params(toks, j)?;
    } else if is_p(toks.get(j), "(") {
        j = params(toks, j)?;
        is_p(toks.get(j), "=>").then_some(())?;
        j += 1;
    } else if matches!(toks.get(j), Some(Tok::Ident(_))) && is_p(toks.get(j + 1), "=>") {
        j += 2;
    } else {
        return None;
    }
    if is_p(toks.get(j), "{") {
        j += 1;
    }
    Some(j - i)
}

/// `( [ident] )` at `toks[j..]`; returns the index after it.
fn params(toks: &[Tok], mut j: usize) -> Option<usize> {
    is_p(toks.get(j), "(").then_some(())?;
    j += 1;
    if matches!(toks.get(j), Some(Tok::Ident(_))) {
        j += 1;
    }
    is_p(toks.get(j), ")").then_some(j + 1)
}

/// How many leading tokens are structure only (a wrapper's head, `try {`, `} catch (e) {`).
fn structural_prefix(toks: &[Tok]) -> Option<usize> {
    let starts_test = is_ident(toks.first(), "pm")
        && is_p(toks.get(1), ".")
        && is_ident(toks.get(2), "test")
        && is_p(toks.get(3), "(")
        && matches!(toks.get(4), Some(Tok::Str(_)))
        && is_p(toks.get(5), ",");
    if starts_test {
        return function_head(toks, 6).map(|n| 6 + n);
    }
    if is_ident(toks.first(), "try") && is_p(toks.get(1), "{") {
        return Some(2);
    }
    if is_ident(toks.first(), "finally") && is_p(toks.get(1), "{") {
        return Some(2);
    }
    if is_ident(toks.first(), "catch") {
        let after = params(toks, 1)?;
        return is_p(toks.get(after), "{").then_some(after + 1);
    }
    None
}

fn count(toks: &[Tok], p: &str) -> usize {
    toks.iter().filter(|t| is_p(Some(t), p)).count()
}

/// The statements of a line, with wrappers and unbalanced closers removed.
fn statements(mut toks: Vec<Tok>) -> Vec<Vec<Tok>> {
    loop {
        if let Some(n) = structural_prefix(&toks) {
            toks.drain(..n);
        } else if is_p(toks.first(), ";")
            || (is_p(toks.first(), "}") && count(&toks, "}") > count(&toks, "{"))
            || (is_p(toks.first(), ")") && count(&toks, ")") > count(&toks, "("))
        {
            toks.remove(0);
        } else if is_p(toks.last(), ";")
            || (is_p(toks.last(), "}") && count(&toks, "}") > count(&toks, "{"))
            || (is_p(toks.last(), ")") && count(&toks, ")") > count(&toks, "("))
        {
            toks.pop();
        } else {
            break;
        }
    }
    let mut out = vec![Vec::new()];
    let mut depth = 0i32;
    for t in toks {
        match &t {
            Tok::P("(" | "[" | "{") => depth += 1,
            Tok::P(")" | "]" | "}") => depth -= 1,
            Tok::P(";") if depth == 0 => {
                out.push(Vec::new());
                continue;
            }
            _ => {}
        }
        if let Some(last) = out.last_mut() {
            last.push(t);
        }
    }
    out.retain(|s| !s.is_empty());
    out
}
