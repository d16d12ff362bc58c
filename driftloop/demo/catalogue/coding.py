"""Demo app ``code-helper``: a programming assistant inside an editor and a chat tool."""

from __future__ import annotations

from driftloop.demo.catalogue.spec import AppSpec, Deployment, Topic

_TOPICS = (
    Topic(
        "python_errors",
        prompts=(
            "I'm getting {error} in my {lang} script, what does it mean?",
            "Why do I get {error} when I {action}?",
            "How do I fix '{error}' on line {line}?",
            "{error} when running my tests, any idea why?",
            "My {lang} code works locally but raises {error} on the server.",
            "what causes {error}",
            "Getting {error} {context} when I {action}.",
            "{lang}: {error} after upgrading a library {context}.",
        ),
        responses=(
            "{error} usually means the value isn't what the code expects at that point. Print or log the "
            "variable just before line {line}, and check where it was last assigned.",
            "When you {action}, that error appears if the object is None or of the wrong type. Add a guard "
            "before the call, or fix the function that produced the value.",
            "Differences between local and server runs are often environment related: check the {lang} "
            "version, installed package versions and environment variables.",
        ),
        slots={
            "error": (
                "TypeError: 'NoneType' object is not subscriptable",
                "KeyError",
                "IndexError: list index out of range",
                "ModuleNotFoundError",
                "RecursionError",
                "UnicodeDecodeError",
                "AttributeError",
                "ValueError: too many values to unpack",
            ),
            "action": (
                "read a JSON file",
                "loop over a dictionary",
                "call the API",
                "import my own module",
                "parse a date",
                "open a CSV",
            ),
            "line": ("12", "47", "88", "130", "203"),
            "context": (
                "in a Flask app",
                "in a Jupyter notebook",
                "in a Django view",
                "in a cron job",
                "in a Lambda function",
                "in my CLI tool",
                "in a data pipeline",
                "inside a Docker container",
            ),
        },
        weight=1.5,
        thumbs_down=0.16,
    ),
    Topic(
        "sql_queries",
        prompts=(
            "Write a SQL query to get the top {n} {entity} by {metric}.",
            "How do I join {table} with {table2} and keep rows without a match?",
            "My query on {table} is really slow, how can I speed it up?",
            "What's the difference between WHERE and HAVING?",
            "How do I remove duplicate rows from {table} in {db}?",
            "sql to count {entity} per month",
            "In {db}, how do I get the top {n} {entity} by {metric} for each month?",
            "How do I join {table} with {table2} in {db} without duplicating rows?",
        ),
        responses=(
            "Order by {metric} and limit the result: SELECT ... FROM {table} ORDER BY {metric} DESC LIMIT {n}. "
            "Add an index on {metric} if the table is large.",
            "Use a LEFT JOIN from {table} to {table2}; rows with no match get NULLs in the {table2} columns.",
            "Check the query plan with EXPLAIN. Slow queries on {table} are usually missing an index on the "
            "filtered or joined columns in {db}.",
        ),
        slots={
            "n": ("5", "10", "20", "100"),
            "entity": ("customers", "products", "orders", "users", "authors"),
            "metric": ("revenue", "number of orders", "signup date", "average rating"),
            "table": ("orders", "users", "events", "invoices", "products"),
            "table2": ("customers", "payments", "sessions", "categories"),
            "db": ("PostgreSQL", "MySQL", "SQLite", "SQL Server", "BigQuery"),
        },
        weight=1.2,
        thumbs_down=0.13,
    ),
    Topic(
        "git_usage",
        prompts=(
            "How do I undo my last {n} commits in git?",
            "I committed to {branch} by mistake, how do I move the commit?",
            "How do I resolve a merge conflict in {file}?",
            "What's the difference between git merge and git rebase?",
            "How do I delete a branch locally and on the remote?",
            "git says 'detached HEAD', what did I do?",
            "how to squash {n} commits",
            "I pushed {file} to {branch} by accident, how do I remove it from history?",
            "How do I cherry-pick the last {n} commits from {branch} onto my feature branch?",
        ),
        responses=(
            "If you haven't pushed, 'git reset --soft HEAD~{n}' keeps your changes staged. If you have pushed, "
            "prefer 'git revert' so history stays intact for others.",
            "Create a branch at your commit, then reset {branch} to its upstream: the commit is safe on the new "
            "branch and {branch} is clean again.",
            "Open {file}, keep the lines you want between the conflict markers, remove the markers, then "
            "'git add {file}' and continue the merge.",
        ),
        slots={
            "n": ("1", "2", "3", "5"),
            "branch": ("main", "master", "develop", "the release branch"),
            "file": ("package.json", "settings.py", "README.md", "the lock file", "index.ts"),
        },
        weight=1.2,
        thumbs_down=0.1,
    ),
    Topic(
        "regex",
        prompts=(
            "Write a regex that matches {pattern}.",
            "Why doesn't my regex match {pattern} in {lang}?",
            "How do I extract {pattern} from a log line?",
            "Regex for {pattern} but not when it's inside quotes?",
            "is regex the right tool to parse {format}?",
            "Write a {lang} regex that matches {pattern} and captures {part}.",
        ),
        responses=(
            "Here's a starting point for {pattern}; anchor it with ^ and $ if the whole string must match, and "
            "test it against a few edge cases.",
            "In {lang}, remember to use a raw string or escape backslashes, otherwise the pattern for "
            "{pattern} isn't what the engine sees.",
            "For {format}, a proper parser is more reliable than a regex; regexes break on nesting and escaping.",
        ),
        slots={
            "pattern": (
                "a date like 2024-05-01",
                "a UK postcode",
                "an IPv4 address",
                "a hex colour",
                "a semantic version",
                "a URL",
            ),
            "format": ("HTML", "JSON", "CSV with quoted fields", "nested brackets"),
            "part": ("the year", "the first group", "everything after the dot", "the domain", "the numbers"),
        },
        weight=0.8,
        thumbs_down=0.2,
    ),
    Topic(
        "async_javascript",
        prompts=(
            "Why does my async function return a Promise instead of the value?",
            "How do I run {n} fetch calls in parallel in JavaScript?",
            "What's the difference between Promise.all and Promise.allSettled?",
            "My {framework} component shows stale data after an await.",
            "How do I add a timeout to fetch?",
            "unhandled promise rejection in {framework}",
            "How do I cancel a pending fetch in {framework} when {js_event}?",
            "Why does my {framework} app send {n} requests instead of one?",
        ),
        responses=(
            "An async function always returns a Promise; use 'await' on the call, or '.then()', to get the value.",
            "Start all {n} requests first and then await Promise.all on the array; it rejects as soon as one "
            "fails, while Promise.allSettled waits for all of them.",
            "In {framework}, stale data after an await usually comes from a closure over old state. Read the "
            "latest state after the await, or cancel the request when the component unmounts.",
        ),
        slots={
            "n": ("3", "10", "50", "several"),
            "framework": ("React", "Vue", "Svelte", "Angular", "Node.js"),
            "js_event": (
                "the user navigates away",
                "a new search starts",
                "the component unmounts",
                "a timeout passes",
            ),
        },
        thumbs_down=0.15,
    ),
    Topic(
        "docker",
        prompts=(
            "My Docker image for a {lang} app is {size}, how do I make it smaller?",
            "Why can't my container reach {service} on localhost?",
            "How do I pass environment variables to docker compose?",
            "docker build fails with '{docker_error}'",
            "How do I persist {service} data between container restarts?",
            "How do I run {service} and my {lang} app together with docker compose?",
            "docker build for my {lang} app fails with '{docker_error}'",
        ),
        responses=(
            "Use a multi-stage build and a slim base image for the {lang} app; copy only what runs in "
            "production. That often takes an image of {size} down by more than half.",
            "Inside a container, localhost is the container itself. Use the service name from your compose file "
            "to reach {service}.",
            "Mount a named volume at {service}'s data directory so the data outlives the container.",
        ),
        slots={
            "size": ("1.2 GB", "900 MB", "2 GB", "650 MB"),
            "service": ("Postgres", "Redis", "my API", "Kafka", "MongoDB"),
            "docker_error": (
                "no space left on device",
                "permission denied",
                "failed to solve: not found",
                "exec format error",
            ),
        },
        weight=0.9,
        thumbs_down=0.18,
    ),
    Topic(
        "unit_testing",
        prompts=(
            "How do I test a function that calls {dependency}?",
            "Write {framework_test} tests for a function that {does}.",
            "My tests pass alone but fail when run together.",
            "How do I measure test coverage in {lang}?",
            "Should I mock {dependency} in my tests?",
            "How do I test a {lang} function that {does} and calls {dependency}?",
        ),
        responses=(
            "Inject {dependency} as a parameter so a test can pass a simple stand-in; that keeps the test fast "
            "and independent.",
            "Here's a {framework_test} test layout for a function that {does}: one test for the usual case, one "
            "for empty input and one for invalid input.",
            "Tests that fail together but pass alone share state: a global, a temp file or a database. Reset it "
            "in a fixture that runs around each test.",
        ),
        slots={
            "dependency": ("an HTTP API", "the database", "the clock", "a random number generator", "the file system"),
            "framework_test": ("pytest", "Jest", "JUnit", "Go"),
            "does": ("parses dates", "validates e-mail input", "sums a shopping basket", "retries on failure"),
        },
        thumbs_down=0.12,
    ),
    Topic(
        "performance",
        prompts=(
            "My {lang} loop over {rows} rows is too slow.",
            "How do I find out which part of my {lang} program is slow?",
            "Should I use multiprocessing or threads for {workload}?",
            "My web page takes {seconds} to load, where do I start?",
            "How can I reduce memory use when reading a {size} file?",
            "My {lang} service does {workload} and gets slow after {uptime}.",
        ),
        responses=(
            "Profile first: in {lang} a sampling profiler shows where the time goes. Loops over {rows} rows are "
            "usually faster vectorised or batched.",
            "For {workload}, threads help when the work waits on I/O, processes when it is CPU-bound.",
            "Read the {size} file in chunks or stream it line by line instead of loading it all at once.",
        ),
        slots={
            "rows": ("a million", "10,000", "50 million", "200k"),
            "workload": ("web scraping", "image resizing", "number crunching", "calling an API"),
            "seconds": ("8 seconds", "15 seconds", "4 seconds"),
            "uptime": ("a few hours", "a day", "an hour", "a week"),
            "size": ("5 GB", "800 MB", "20 GB"),
        },
        thumbs_down=0.17,
    ),
    Topic(
        "api_design",
        prompts=(
            "How should I version my REST API?",
            "What status code should my API return when {situation}?",
            "How do I paginate results in a {style} API?",
            "Is it better to use {style} or REST for {client}?",
            "How do I design idempotent POST requests?",
            "What status code should a {style} API return when {situation}, for {client}?",
        ),
        responses=(
            "When {situation}, return the most specific status code: 404 for a missing resource, 409 for a "
            "conflict, 422 for a well-formed but invalid request.",
            "For a {style} API, cursor-based pagination is more robust than offsets when data changes between "
            "requests.",
            "For {client}, REST is simpler to cache and debug; {style} helps when clients need flexible queries.",
        ),
        slots={
            "situation": (
                "the resource doesn't exist",
                "validation fails",
                "the user isn't logged in",
                "there's a duplicate",
            ),
            "style": ("GraphQL", "gRPC", "REST", "JSON:API"),
            "client": ("a mobile app", "internal services", "public partners"),
        },
        weight=0.7,
        thumbs_down=0.19,
    ),
    Topic(
        "css_layout",
        prompts=(
            "How do I centre a div {axis}?",
            "My flexbox items won't wrap on {device}.",
            "How do I make a {component} responsive?",
            "Why is my {component} overflowing its container?",
            "grid or flexbox for a {component}?",
            "How do I keep a {component} centred {axis} on {device}?",
        ),
        responses=(
            "To centre {axis}, make the parent a flex container and use justify-content and align-items set to center.",
            "For a responsive {component}, use relative units and a media query for narrow screens; on {device}, "
            "check that flex-wrap is set to wrap.",
            "Overflow usually comes from a fixed width or long unbroken text in the {component}; try "
            "min-width: 0 on flex children and overflow-wrap: anywhere.",
        ),
        slots={
            "axis": ("horizontally", "vertically", "both ways"),
            "device": ("mobile", "Safari", "small screens", "tablets"),
            "component": ("navbar", "card grid", "sidebar", "image gallery", "form"),
        },
        weight=0.8,
        thumbs_down=0.21,
    ),
    Topic(
        "type_hints",
        prompts=(
            "How do I type a function that returns {kind} in {lang}?",
            "Why does my type checker complain about {issue}?",
            "What's the difference between an interface and a type alias in TypeScript?",
            "How do I add types to an existing {lang} codebase gradually?",
            "How do I type {kind} in {lang}?",
        ),
        responses=(
            "For a function returning {kind}, declare the return type explicitly; the type checker then flags "
            "callers that misuse it.",
            "The checker complains about {issue} because one branch can produce a different type. Narrow it with "
            "a check before use.",
            "Add types gradually: start with the modules other code depends on most, and enable stricter "
            "checking file by file.",
        ),
        slots={
            "kind": ("either a string or None", "a list of dictionaries", "a generic container", "a callback"),
            "issue": ("an optional value", "incompatible return types", "a missing attribute", "Any"),
        },
        weight=0.6,
        thumbs_down=0.14,
    ),
)

_NEW_TOPICS = (
    Topic(
        "legal_questions",
        prompts=(
            "Can my landlord {landlord_action}?",
            "Is a verbal agreement legally binding for {deal}?",
            "How do I write a will without a lawyer?",
            "What are my rights if I'm {situation}?",
            "Do I need a lawyer for {deal}?",
        ),
        responses=(
            "I'm a coding assistant and can't give legal advice, but in general whether a landlord can "
            "{landlord_action} depends on your tenancy agreement and local law.",
            "For {deal}, written agreements are much easier to enforce. A local legal advice service can "
            "explain your options.",
        ),
        slots={
            "landlord_action": ("keep my deposit", "raise the rent", "enter without notice", "evict me"),
            "deal": ("selling a car", "a loan to a friend", "freelance work", "renting a room"),
            "situation": ("made redundant", "injured at work", "refused a refund", "sent a parking fine"),
        },
        thumbs_down=0.42,
    ),
    Topic(
        "gardening",
        prompts=(
            "When should I plant {plant} in my garden?",
            "Why are the leaves on my {plant} turning yellow?",
            "How often should I water {plant}?",
            "What grows well in a {garden}?",
        ),
        responses=(
            "Yellow leaves on {plant} are often caused by overwatering or poor drainage. Let the soil dry out "
            "between waterings.",
            "In a {garden}, hardy herbs, lettuce and shade-tolerant flowers usually do well.",
        ),
        slots={
            "plant": ("tomatoes", "roses", "basil", "a lemon tree", "lavender", "strawberries"),
            "garden": ("shady garden", "small balcony", "clay soil garden", "windy spot"),
        },
        thumbs_down=0.37,
    ),
    Topic(
        "resume_writing",
        prompts=(
            "Can you improve my CV for a {job} job?",
            "How long should a resume be for someone with {years} of experience?",
            "Write a cover letter for a {job} position.",
            "How do I explain a gap of {gap} on my CV?",
        ),
        responses=(
            "For a {job} role, lead with the achievements most relevant to the job ad and keep the CV to two pages.",
            "Explain a gap of {gap} briefly and positively: what you did, and what you learned.",
        ),
        slots={
            "job": ("project manager", "nurse", "graphic designer", "teacher", "accountant"),
            "years": ("two years", "ten years", "twenty years"),
            "gap": ("a year", "six months", "three years"),
        },
        thumbs_down=0.35,
    ),
)

CODING = AppSpec(
    name="code-helper",
    weight=0.2,
    system_prompt_tokens=900,
    deployments=(
        Deployment("stratus-code-32b", "2026-02", 0.6),
        Deployment("nimbus-70b", "2026-03", 0.4),
    ),
    topics=_TOPICS,
    new_topics=_NEW_TOPICS,
    slots={"lang": ("Python", "JavaScript", "TypeScript", "Go", "Java", "Rust")},
    refusals=(
        "I can't help with that code. Please check your organisation's policy.",
        "Sorry, I can't complete that request.",
        "I'm not able to generate that; could you rephrase what you need?",
    ),
    out_of_scope=(
        "I'm a programming assistant, so I can't help much with that. Do you have a coding question?",
        "That's outside what I'm built for; I can help with code, tools and debugging.",
    ),
    closers=(
        *("",) * 4,
        "Happy to look at your code if you paste it.",
        "Let me know if that fixes it.",
        "Want an example?",
    ),
    tiers=(("free", 0.6), ("pro", 0.3), ("team", 0.1)),
    channels=(("vscode", 0.45), ("jetbrains", 0.2), ("web", 0.25), ("slack", 0.1)),
)
