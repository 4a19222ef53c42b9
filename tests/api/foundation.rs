//! Foundation: configuration, migrations, auth and bad input.
