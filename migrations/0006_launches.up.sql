-- Launches: changes that were not randomised (a launch to one country, a pricing change on one
-- platform, an outage), registered so that AnalyzeLaunch can analyse them by key and the weekly
-- review can list the launches of a week (difference in differences, proto/lift/v1/launches.proto).
--
-- The group conditions are stored as the text the user wrote, after the server parsed it; they are
-- compiled to parameterised SQL at analysis time and never executed as SQL. Creation is audited
-- into audit_log (0001) by the application in the same transaction.
CREATE TABLE launches (
  key              text        PRIMARY KEY CHECK (key ~ '^[a-z0-9_.-]{1,100}$'),
  name             text        NOT NULL DEFAULT '',
  description      text        NOT NULL DEFAULT '',
  owner            text        NOT NULL DEFAULT '',
  metric_keys      text[]      NOT NULL CHECK (cardinality(metric_keys) BETWEEN 1 AND 20),
  treated          text        NOT NULL,
  control          text        NOT NULL,
  launch_at        timestamptz NOT NULL,
  pre_days         integer     NOT NULL CHECK (pre_days BETWEEN 1 AND 366),
  post_days        integer     NOT NULL CHECK (post_days BETWEEN 1 AND 366),
  period           text        NOT NULL DEFAULT 'day' CHECK (period IN ('day', 'week')),
  created_at       timestamptz NOT NULL DEFAULT now(),
  created_by       text        NOT NULL
);
-- The weekly review lists the launches of a week.
CREATE INDEX launches_launch_at_idx ON launches (launch_at);
