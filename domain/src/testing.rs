//! A given / when / then harness for aggregate tests.
//!
//! ```
//! # use mallbots_domain::testing::AggregateTest;
//! # use mallbots_domain::stores::*;
//! // AggregateTest::<Store>::given(vec![created]).when(cmd).then(vec![expected]);
//! ```

use crate::aggregate::Aggregate;
use crate::error::ErrorCode;

/// One aggregate test: a history, then a command, then an expectation.
pub struct AggregateTest<A: Aggregate> {
    state: A,
}

/// The outcome of `when`, to assert on with `then*`.
pub struct AggregateOutcome<A: Aggregate> {
    result: Result<Vec<A::Event>, A::Error>,
    state: A,
}

impl<A: Aggregate> AggregateTest<A> {
    /// An aggregate with no history.
    pub fn given_no_history() -> Self {
        Self {
            state: A::default(),
        }
    }

    /// An aggregate folded from these events.
    pub fn given(events: impl IntoIterator<Item = A::Event>) -> Self {
        let events: Vec<A::Event> = events.into_iter().collect();
        Self {
            state: A::from_events(&events),
        }
    }

    /// Decides the command against the given state.
    pub fn when(self, command: A::Command) -> AggregateOutcome<A> {
        let result = self.state.decide(&command);
        AggregateOutcome {
            result,
            state: self.state,
        }
    }
}

impl<A: Aggregate> AggregateOutcome<A> {
    /// Asserts the command produced exactly these events; returns the state after applying them.
    #[track_caller]
    pub fn then(self, expected: impl IntoIterator<Item = A::Event>) -> A {
        let expected: Vec<A::Event> = expected.into_iter().collect();
        match self.result {
            Ok(events) => {
                assert_eq!(events, expected, "unexpected events");
                let mut state = self.state;
                for event in &events {
                    state.apply(event);
                }
                state
            }
            Err(err) => panic!(
                "expected events {expected:?}, got error {err:?} ({})",
                err.code()
            ),
        }
    }

    /// Asserts the command was rejected with exactly this error.
    #[track_caller]
    pub fn then_error(self, expected: A::Error) {
        match self.result {
            Ok(events) => panic!("expected error {expected:?}, got events {events:?}"),
            Err(err) => assert_eq!(err, expected, "unexpected error"),
        }
    }

    /// Asserts the command was rejected with an error of this code.
    #[track_caller]
    pub fn then_error_code(self, code: &str) {
        match self.result {
            Ok(events) => panic!("expected error code {code}, got events {events:?}"),
            Err(err) => assert_eq!(err.code(), code, "unexpected error {err:?}"),
        }
    }

    /// The raw result, for assertions the helpers above do not cover.
    pub fn result(self) -> Result<Vec<A::Event>, A::Error> {
        self.result
    }
}
