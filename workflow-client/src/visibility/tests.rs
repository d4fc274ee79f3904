use proptest::prelude::*;
use proptest::sample::{select, Index};

use super::*;
use crate::timestamp::parse_rfc3339;

fn parse(text: &str) -> Result<VisibilityQuery, QueryError> {
    VisibilityQuery::parse(text)
}

fn custom(name: &str) -> Field {
    Field::Custom(AttributeName::new(name).unwrap())
}

fn string(text: &str) -> Literal {
    Literal::String(text.to_owned())
}

fn compare(field: Field, op: CompareOp, value: Literal) -> Filter {
    Filter::Compare { field, op, value }
}

fn filter_of(text: &str) -> Filter {
    parse(text).unwrap().filter.unwrap()
}

// ---------------------------------------------------------------- examples

#[test]
fn empty_text_lists_every_run_in_the_default_order() {
    assert_eq!(parse(""), Ok(VisibilityQuery::default()));
    assert_eq!(parse(" \n\t "), Ok(VisibilityQuery::default()));
}

#[test]
fn order_by_may_stand_alone() {
    let query = parse("ORDER BY Priority DESC, StartTime asc, RunId").unwrap();
    assert_eq!(query.filter, None);
    let order = |field, descending| OrderBy { field, descending };
    assert_eq!(
        query.order_by,
        vec![
            order(custom("Priority"), true),
            order(Field::StartTime, false),
            order(Field::RunId, false)
        ]
    );
    assert_eq!(query.to_string(), "ORDER BY Priority DESC, StartTime, RunId");
}

#[test]
fn and_binds_tighter_than_or() {
    let [a, b, c] = ["A", "B", "C"].map(|name| compare(custom(name), CompareOp::Eq, Literal::Int(1)));
    assert_eq!(
        filter_of("A = 1 OR B = 1 AND C = 1"),
        Filter::Or(vec![a.clone(), Filter::And(vec![b.clone(), c.clone()])])
    );
    assert_eq!(
        filter_of("(A = 1 OR B = 1) AND C = 1"),
        Filter::And(vec![Filter::Or(vec![a.clone(), b.clone()]), c.clone()])
    );
    // A group stays a node, so the canonical text keeps its parentheses.
    let grouped = filter_of("A = 1 AND (B = 1 AND C = 1)");
    assert_eq!(grouped, Filter::And(vec![a, Filter::And(vec![b, c])]));
    assert_eq!(grouped.to_string(), "A = 1 AND (B = 1 AND C = 1)");
}

#[test]
fn every_operator_parses_and_prints_canonically() {
    let cases = [
        ("WorkflowId = 'a'", "WorkflowId = 'a'"),
        ("WorkflowId != 'a'", "WorkflowId != 'a'"),
        ("WorkflowId <> 'a'", "WorkflowId != 'a'"),
        ("Priority<3", "Priority < 3"),
        ("Priority <= -3", "Priority <= -3"),
        ("Score > 2.50", "Score > 2.5"),
        ("Score >= 2.0", "Score >= 2.0"),
        ("TaskQueue in ('a','b')", "TaskQueue IN ('a', 'b')"),
        ("TaskQueue not in ('a')", "TaskQueue NOT IN ('a')"),
        ("Priority between 1 and 3", "Priority BETWEEN 1 AND 3"),
        ("Priority NOT BETWEEN 1 AND 3", "Priority NOT BETWEEN 1 AND 3"),
        ("WorkflowType starts_with 'order-'", "WorkflowType STARTS_WITH 'order-'"),
        ("CloseTime is null", "CloseTime IS NULL"),
        ("CloseTime IS NOT NULL", "CloseTime IS NOT NULL"),
        ("Urgent = TRUE or Urgent = false", "Urgent = true OR Urgent = false"),
        (
            "StartTime > '2026-12-02T11:00:00.5+01:00'",
            "StartTime > '2026-12-02T11:00:00.5+01:00'",
        ),
        (
            "ExecutionStatus = \"ContinuedAsNew\"",
            "ExecutionStatus = 'ContinuedAsNew'",
        ),
    ];
    for (text, canonical) in cases {
        let query = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(query.to_string(), canonical, "{text}");
    }
    assert_eq!(
        filter_of("RunId <> 'r'"),
        compare(Field::RunId, CompareOp::Ne, string("r"))
    );
}

#[test]
fn strings_take_doubled_quotes_and_backslash_escapes() {
    let cases = [
        (r"A = 'it''s'", "it's"),
        (r"A = 'it\'s'", "it's"),
        (r#"A = "it's""#, "it's"),
        (r#"A = "say ""hi"" \"now\"""#, r#"say "hi" "now""#),
        (r"A = 'back\\slash'", r"back\slash"),
        ("A = 'naïve ☃'", "naïve ☃"),
    ];
    for (text, value) in cases {
        assert_eq!(
            filter_of(text),
            compare(custom("A"), CompareOp::Eq, string(value)),
            "{text}"
        );
    }
    assert_eq!(filter_of(r#"A = "it's \\ ok""#).to_string(), r"A = 'it\'s \\ ok'");
}

#[test]
fn names_in_backquotes_may_hold_anything() {
    assert_eq!(filter_of("`Order Total` > 5").to_string(), "`Order Total` > 5");
    assert_eq!(
        filter_of("`a``b` = 1"),
        compare(custom("a`b"), CompareOp::Eq, Literal::Int(1))
    );
    assert_eq!(filter_of("`order` = 1").to_string(), "`order` = 1");
    // Backquotes only quote: a built-in name is the built-in field.
    assert_eq!(
        filter_of("`WorkflowId` = 'w'"),
        compare(Field::WorkflowId, CompareOp::Eq, string("w"))
    );
    // Names are case-sensitive: this is a custom attribute.
    assert_eq!(
        filter_of("workflowid = 'w'"),
        compare(custom("workflowid"), CompareOp::Eq, string("w"))
    );
}

#[test]
fn datetimes_read_rfc3339_strictly() {
    let valid = [
        ("2026-12-02T10:00:00Z", 1_796_205_600_000),
        ("2026-12-02T11:00:00+01:00", 1_796_205_600_000),
        ("2026-12-02T09:30:00-00:30", 1_796_205_600_000),
        ("2026-12-02T10:00:00.1Z", 1_796_205_600_100),
        ("2026-12-02T10:00:00.123456789Z", 1_796_205_600_123),
        ("1969-12-31T23:59:59.999Z", -1),
        ("0000-01-01T00:00:00Z", -62_167_219_200_000),
        ("9999-12-31T23:59:59.999Z", 253_402_300_799_999),
        ("2024-02-29T00:00:00Z", 1_709_164_800_000),
        ("2000-02-29T00:00:00Z", 951_782_400_000),
    ];
    for (text, millis) in valid {
        assert_eq!(parse_rfc3339(text), Some(millis), "{text}");
    }
    let invalid = [
        "",
        "2026-12-02",
        "2026-12-02T10:00:00",
        "2026-12-02 10:00:00Z",
        "2026-12-02t10:00:00Z",
        "2026-12-02T10:00:00z",
        "2026-12-02T10:00Z",
        "2026-1-02T10:00:00Z",
        "2026-00-02T10:00:00Z",
        "2026-13-02T10:00:00Z",
        "2026-04-31T10:00:00Z",
        "2026-02-29T10:00:00Z",
        "2100-02-29T10:00:00Z",
        "2026-12-02T24:00:00Z",
        "2026-12-02T10:60:00Z",
        "2026-12-02T10:00:60Z",
        "2026-12-02T10:00:00.Z",
        "2026-12-02T10:00:00.1234567890Z",
        "2026-12-02T10:00:00+24:00",
        "2026-12-02T10:00:00+01:60",
        "2026-12-02T10:00:00+0100",
        "2026-12-02T10:00:00+01:00:00",
        "2026-12-02T10:00:00Z ",
        "+2026-12-02T10:00:00Z",
        "２０２６-12-02T10:00:00Z",
    ];
    for text in invalid {
        assert_eq!(parse_rfc3339(text), None, "{text}");
    }
}

#[test]
fn malformed_queries_report_where_and_what() {
    let cases = [
        (
            "WorkflowId = ",
            13,
            "expected a value after `=` at position 13, found the end of the query",
        ),
        (
            "WorkflowId = 'abc",
            13,
            "unterminated string starting at position 13: it needs a closing '",
        ),
        (
            "`Order Total = 1",
            0,
            "unterminated name starting at position 0: it needs a closing `",
        ),
        (
            "WorkflowType = 'a' AND ExecutionStatus = 'Runing'",
            41,
            "unknown execution status `Runing` at position 41: expected one of Running, Completed, Failed, \
             Canceled, Terminated, ContinuedAsNew, TimedOut",
        ),
        (
            "ExecutionStatus = 1",
            18,
            "`ExecutionStatus` takes a status name in quotes, such as 'Running', found 1 at position 18",
        ),
        (
            "StartTime > '2026-13-01T00:00:00Z'",
            12,
            "`StartTime` takes an RFC 3339 datetime in quotes, such as '2026-12-02T10:00:00Z', \
             found '2026-13-01T00:00:00Z' at position 12",
        ),
        (
            "CloseTime BETWEEN '2026-12-01T00:00:00Z' AND 5",
            45,
            "`CloseTime` takes an RFC 3339 datetime in quotes, such as '2026-12-02T10:00:00Z', found 5 at position 45",
        ),
        (
            "RunId IN ('a', 7)",
            15,
            "`RunId` takes a string in quotes, found 7 at position 15",
        ),
        (
            "A = 1 AND",
            9,
            "expected a condition at position 9, found the end of the query",
        ),
        (
            "(A = 1",
            6,
            "expected `)` at position 6 to close the `(` at position 0, found the end of the query",
        ),
        ("A IN ()", 6, "expected a value in the list at position 6, found `)`"),
        (
            "A IN (1 2)",
            8,
            "expected `,` or `)` in the list at position 8, found 2",
        ),
        (
            "A BETWEEN 1 OR 2",
            12,
            "expected `AND` between the bounds of `BETWEEN` at position 12, found `OR`",
        ),
        (
            "A NOT = 1",
            6,
            "expected `IN` or `BETWEEN` after `NOT` at position 6, found `=`",
        ),
        (
            "A IS 1",
            5,
            "expected `NULL` or `NOT NULL` after `IS` at position 5, found 1",
        ),
        (
            "A 1",
            2,
            "expected an operator after `A` (=, !=, <, <=, >, >=, IN, NOT IN, BETWEEN, STARTS_WITH or IS) \
             at position 2, found 1",
        ),
        (
            "A STARTS_WITH 1",
            14,
            "expected a string after `STARTS_WITH` at position 14, found 1",
        ),
        (
            "StartTime STARTS_WITH '2026'",
            10,
            "`StartTime` has no STARTS_WITH (position 10): only WorkflowId, WorkflowType, RunId, TaskQueue \
             and string attributes do",
        ),
        (
            "A = 'x' B = 1",
            8,
            "expected `AND`, `OR`, `ORDER BY` or the end of the query at position 8, found the name `B`",
        ),
        (
            "A = 1 ORDER StartTime",
            12,
            "expected `BY` after `ORDER` at position 12, found the name `StartTime`",
        ),
        (
            "ORDER BY A, ",
            12,
            "expected a field to order by at position 12, found the end of the query",
        ),
        (
            "ORDER BY A DESC B",
            16,
            "expected `,` or the end of the query at position 16, found the name `B`",
        ),
        (
            "A = 1 OR in = 1",
            9,
            "expected a condition at position 9, found the keyword `IN`; an attribute of that name goes in \
             backquotes: `IN`",
        ),
        ("order = 1", 6, "expected `BY` after `ORDER` at position 6, found `=`"),
        (
            "`` = 1",
            0,
            "empty name at position 0: backquotes must enclose at least one character",
        ),
        (
            "A = 99999999999999999999",
            4,
            "number `99999999999999999999` at position 4 does not fit in a 64-bit integer",
        ),
        ("A = 1.", 6, "expected a digit after the decimal point at position 6"),
        ("A = -x", 4, "expected a digit after `-` at position 4"),
        (
            r"A = 'a\nb'",
            6,
            r#"unknown escape `\n` at position 6: strings know only \', \" and \\"#,
        ),
        ("A = 1 ; DROP TABLE runs", 6, "unexpected character `;` at position 6"),
        (
            "`Größe` > 1 AND Größe > 1",
            20,
            "unexpected character `ö` at position 20: a name with characters other than ASCII letters, digits \
             and `_` goes in backquotes, as `Größe`",
        ),
    ];
    for (text, position, message) in cases {
        let error = parse(text).expect_err(text);
        assert_eq!(
            (error.position(), error.to_string().as_str()),
            (position, message),
            "{text}"
        );
    }
}

#[test]
fn the_first_error_in_the_text_wins() {
    // The stray `)` comes before the unterminated string.
    assert_eq!(parse("A = ) 'open").unwrap_err().position(), 4);
}

#[test]
fn nesting_is_bounded() {
    let nested = |depth: usize| format!("{}A = 1{}", "(".repeat(depth), ")".repeat(depth));
    assert!(parse(&nested(100)).is_ok());
    let error = parse(&nested(101)).unwrap_err();
    assert_eq!(error.to_string(), "parentheses nest more than 100 deep at position 100");
    assert_eq!(parse(&"(".repeat(1_000_000)).unwrap_err().position(), 100);
}

#[test]
fn long_chains_stay_flat() {
    let text = vec!["A = 1"; 100_000].join(" OR ");
    match parse(&text).unwrap().filter {
        Some(Filter::Or(parts)) => assert_eq!(parts.len(), 100_000),
        other => panic!("{other:?}"),
    }
}

// ---------------------------------------------------------------- properties

const OPS: [CompareOp; 6] = [
    CompareOp::Eq,
    CompareOp::Ne,
    CompareOp::Lt,
    CompareOp::Le,
    CompareOp::Gt,
    CompareOp::Ge,
];

fn attribute_name() -> impl Strategy<Value = AttributeName> {
    prop_oneof![
        "[A-Za-z_][A-Za-z0-9_]{0,10}",
        select(vec![
            "order",
            "AND",
            "true",
            "Order Total",
            "a`b",
            "``",
            "Größe",
            "WorkflowId ",
            "x'; DROP TABLE runs; --"
        ])
        .prop_map(str::to_owned),
        any::<String>(),
    ]
    .prop_filter_map("empty or built-in", AttributeName::new)
}

fn field() -> impl Strategy<Value = Field> {
    prop_oneof![
        select(vec![
            Field::WorkflowId,
            Field::WorkflowType,
            Field::RunId,
            Field::ExecutionStatus,
            Field::StartTime,
            Field::CloseTime,
            Field::TaskQueue,
        ]),
        attribute_name().prop_map(Field::Custom),
    ]
}

fn datetime() -> impl Strategy<Value = String> {
    let offset = prop_oneof![Just("Z".to_owned()), "[+-]([01][0-9]|2[0-3]):[0-5][0-9]"];
    (
        0..=9999u32,
        1..=12u32,
        1..=28u32,
        0..24u32,
        0..60u32,
        0..60u32,
        "(\\.[0-9]{1,9})?",
        offset,
    )
        .prop_map(|(year, month, day, hour, minute, second, fraction, offset)| {
            format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}{fraction}{offset}")
        })
}

fn any_literal() -> impl Strategy<Value = Literal> {
    prop_oneof![
        any::<String>().prop_map(Literal::String),
        "[ -~]*".prop_map(Literal::String),
        any::<i64>().prop_map(Literal::Int),
        any::<f64>()
            .prop_filter("finite", |x| x.is_finite())
            .prop_map(Literal::Float),
        any::<bool>().prop_map(Literal::Bool),
    ]
}

/// A value the parser accepts for `field`.
fn value_for(field: &Field) -> BoxedStrategy<Literal> {
    match field {
        Field::ExecutionStatus => select(crate::WorkflowStatus::ALL.to_vec())
            .prop_map(|status| Literal::String(status.to_string()))
            .boxed(),
        Field::StartTime | Field::CloseTime => datetime().prop_map(Literal::String).boxed(),
        Field::Custom(_) => any_literal().boxed(),
        _ => any::<String>().prop_map(Literal::String).boxed(),
    }
}

fn condition() -> impl Strategy<Value = Filter> {
    field()
        .prop_flat_map(|field| {
            let values = prop::collection::vec(value_for(&field), 2..5);
            (
                Just(field),
                0..5u8,
                select(OPS.to_vec()),
                values,
                any::<bool>(),
                any::<String>(),
            )
        })
        .prop_map(|(field, shape, op, values, negated, prefix)| {
            let takes_prefix = !matches!(field, Field::ExecutionStatus | Field::StartTime | Field::CloseTime);
            match shape {
                0 => Filter::Compare {
                    field,
                    op,
                    value: values[0].clone(),
                },
                1 => Filter::In { field, values, negated },
                2 => Filter::Between {
                    field,
                    low: values[0].clone(),
                    high: values[1].clone(),
                    negated,
                },
                3 if takes_prefix => Filter::StartsWith { field, prefix },
                _ => Filter::IsNull { field, negated },
            }
        })
}

fn query() -> impl Strategy<Value = VisibilityQuery> {
    let filter = condition().prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(Filter::And),
            prop::collection::vec(inner, 2..4).prop_map(Filter::Or),
        ]
    });
    let order = (field(), any::<bool>()).prop_map(|(field, descending)| OrderBy { field, descending });
    (prop::option::of(filter), prop::collection::vec(order, 0..3))
        .prop_map(|(filter, order_by)| VisibilityQuery { filter, order_by })
}

/// What parsing any text must do: return, with an error that points into
/// the text, or with a query whose canonical text parses back to it.
fn check_parse(text: &str) -> Result<(), TestCaseError> {
    match parse(text) {
        Ok(query) => prop_assert_eq!(parse(&query.to_string()), Ok(query)),
        Err(error) => prop_assert!(text.is_char_boundary(error.position()), "{error:?} in {text:?}"),
    }
    Ok(())
}

/// Words that make random text reach deep into the grammar.
const SOUP: &[&str] = &[
    "(",
    ")",
    ",",
    "=",
    "!=",
    "<>",
    "<",
    "<=",
    ">",
    ">=",
    "AND",
    "or",
    "NOT",
    "IN",
    "BETWEEN",
    "STARTS_WITH",
    "IS",
    "NULL",
    "ORDER",
    "BY",
    "ASC",
    "desc",
    "true",
    "A",
    "`B c`",
    "WorkflowId",
    "ExecutionStatus",
    "StartTime",
    "'x'",
    "'Running'",
    "'2026-12-02T10:00:00Z'",
    "\"y\"",
    "1",
    "-2",
    "3.5",
    "'",
    "`",
    "-",
    "!",
    "é",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn canonical_text_parses_back_to_the_same_query(query in query()) {
        let text = query.to_string();
        prop_assert_eq!(parse(&text), Ok(query), "{}", text);
    }

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        check_parse(&text)?;
    }

    #[test]
    fn token_soup_never_panics(words in prop::collection::vec(select(SOUP), 0..30)) {
        check_parse(&words.join(" "))?;
    }

    #[test]
    fn mutated_queries_never_panic(
        query in query(),
        edits in prop::collection::vec((any::<Index>(), any::<bool>(), any::<char>()), 1..4),
    ) {
        let mut chars: Vec<char> = query.to_string().chars().collect();
        for (index, insert, c) in edits {
            let at = index.index(chars.len() + 1);
            if insert {
                chars.insert(at, c);
            } else if at < chars.len() {
                chars.remove(at);
            }
        }
        check_parse(&chars.into_iter().collect::<String>())?;
    }
}
