// Every test runs in UTC so that periods and buckets never depend on the developer's machine.
process.env.TZ = 'UTC';
