using System.Text;
using System.Text.Json;
using Fanout.Core.Jsonl;
using Xunit;
using static Fanout.Core.Jsonl.LineErrorCodes;
using static Fanout.Tests.Jsonl.JsonlInput;

namespace Fanout.Tests.Jsonl;

public sealed class JsonlBatchReaderTests
{
    private static readonly string ValidA = Valid("a");
    private static readonly string ValidB = Valid("b");

    // Every table row is read whole, one byte per read and seven bytes per read: line and BOM boundaries then fall
    // inside, at the start and at the end of reads.
    private static readonly int[] ReadSizes = [int.MaxValue, 1, 7];

    public static TheoryData<string, byte[], string[]> LineCases() => new()
    {
        // Splitting, BOM, CRLF, blank lines.
        { "one line without newline", Utf8(ValidA), [Ok] },
        { "one line with newline", Utf8(ValidA + "\n"), [Ok] },
        { "BOM at start is skipped", [0xEF, 0xBB, 0xBF, .. Utf8(ValidA + "\n")], [Ok] },
        { "BOM only at start", [0xEF, 0xBB, 0xBF, .. Utf8(ValidA + "\n"), 0xEF, 0xBB, 0xBF, .. Utf8(ValidB)], [Ok, InvalidJsonLine] },
        { "CRLF line endings", Utf8(ValidA + "\r\n" + ValidB + "\r\n"), [Ok, Ok] },
        { "trailing blank lines ignored", Utf8(ValidA + "\n\n   \n\t\r\n\r\n"), [Ok] },
        { "blank middle line keeps its place", Utf8(ValidA + "\n\n" + ValidB), [Ok, InvalidJsonLine, Ok] },
        { "whitespace middle line keeps its place", Utf8(ValidA + "\r\n \t \r\n" + ValidB + "\r\n"), [Ok, InvalidJsonLine, Ok] },
        { "leading blank line is a middle line", Utf8("\n" + ValidA), [InvalidJsonLine, Ok] },
        { "lone CR middle line is blank", Utf8(ValidA + "\n\r\n" + ValidB), [Ok, InvalidJsonLine, Ok] },

        // JSON.
        { "invalid UTF-8 bytes", [.. Utf8("{\"custom_id\":\"a"), 0xC3, 0x28, .. Utf8("\",\"method\":\"POST\"}\n" + ValidB)], [InvalidJsonLine, Ok] },
        { "truncated JSON", Utf8("{\"custom_id\":\"a\",\"method\":\"POST\"\n" + ValidB), [InvalidJsonLine, Ok] },
        { "array instead of object", Utf8("[" + ValidA + "]"), [InvalidJsonLine] },
        { "string instead of object", Utf8("\"hello\""), [InvalidJsonLine] },
        { "content after the object", Utf8(ValidA + " {}"), [InvalidJsonLine] },
        { "single quotes", Utf8("{'custom_id':'a'}"), [InvalidJsonLine] },
        { "escaped property names and values", Utf8(Line(id: "\"\\u0061\"", method: "\"P\\u004FST\"").Replace("custom_id", "custom\\u005Fid", StringComparison.Ordinal)), [Ok] },

        // custom_id.
        { "custom_id missing", Utf8(Line(id: null)), [MissingCustomId] },
        { "custom_id null", Utf8(Line(id: "null")), [MissingCustomId] },
        { "custom_id number", Utf8(Line(id: "42")), [InvalidCustomId] },
        { "custom_id object", Utf8(Line(id: "{\"x\":1}")), [InvalidCustomId] },
        { "custom_id empty", Utf8(Line(id: "\"\"")), [InvalidCustomId] },
        { "custom_id 512 chars", Utf8(Valid(new string('x', 512))), [Ok] },
        { "custom_id 513 chars", Utf8(Valid(new string('x', 513))), [InvalidCustomId] },
        { "custom_id 512 non-ASCII chars", Utf8(Valid(new string('é', 512))), [Ok] },
        { "duplicate custom_id", Utf8(ValidA + "\n" + ValidB + "\n" + ValidA), [Ok, Ok, DuplicateCustomId] },
        { "invalid custom_id does not claim the id", Utf8(Line(id: "5") + "\n" + Valid("5")), [InvalidCustomId, Ok] },
        { "custom_id of a line failing later still claims the id", Utf8(Line(method: "\"GET\"") + "\n" + ValidA), [InvalidMethod, DuplicateCustomId] },

        // method and url.
        { "method missing", Utf8(Line(method: null)), [InvalidMethod] },
        { "method GET", Utf8(Line(method: "\"GET\"")), [InvalidMethod] },
        { "method lowercase post", Utf8(Line(method: "\"post\"")), [InvalidMethod] },
        { "method not a string", Utf8(Line(method: "1")), [InvalidMethod] },
        { "url embeddings", Utf8(Line(url: "\"/v1/embeddings\"")), [InvalidUrl] },
        { "url missing", Utf8(Line(url: null)), [InvalidUrl] },
        { "url with trailing slash", Utf8(Line(url: "\"/v1/chat/completions/\"")), [InvalidUrl] },
        { "url /chat/completions accepted", Utf8(Line(url: "\"/chat/completions\"")), [Ok] },

        // body.
        { "body missing", Utf8(Line(body: null)), [InvalidBody] },
        { "body an array", Utf8(Line(body: "[]")), [InvalidBody] },
        { "body a string", Utf8(Line(body: "\"hi\"")), [InvalidBody] },
        { "messages missing", Utf8(Line(body: """{"model":"m"}""")), [InvalidBody] },
        { "messages empty", Utf8(Line(body: """{"messages":[]}""")), [InvalidBody] },
        { "messages an object", Utf8(Line(body: """{"messages":{"role":"user"}}""")), [InvalidBody] },
        { "message not an object", Utf8(Line(body: """{"messages":["hi"]}""")), [InvalidBody] },
        { "message without role", Utf8(Line(body: """{"messages":[{"content":"hi"}]}""")), [InvalidBody] },
        { "second message without role", Utf8(Line(body: """{"messages":[{"role":"user"},{"content":"hi"}]}""")), [InvalidBody] },
        { "role a number", Utf8(Line(body: """{"messages":[{"role":1}]}""")), [InvalidBody] },
        { "model a number", Utf8(Line(body: """{"model":4,"messages":[{"role":"user"}]}""")), [InvalidBody] },
        { "model null", Utf8(Line(body: """{"model":null,"messages":[{"role":"user"}]}""")), [InvalidBody] },
        { "model absent", Utf8(Line(body: """{"messages":[{"role":"user","content":"hi"}]}""")), [Ok] },
        { "max_tokens 0", Utf8(Line(body: """{"messages":[{"role":"user"}],"max_tokens":0}""")), [InvalidBody] },
        { "max_tokens negative", Utf8(Line(body: """{"messages":[{"role":"user"}],"max_tokens":-5}""")), [InvalidBody] },
        { "max_tokens a string", Utf8(Line(body: """{"messages":[{"role":"user"}],"max_tokens":"64"}""")), [InvalidBody] },
        { "max_tokens a fraction", Utf8(Line(body: """{"messages":[{"role":"user"}],"max_tokens":1.5}""")), [InvalidBody] },
        { "max_tokens 1", Utf8(Line(body: """{"messages":[{"role":"user"}],"max_tokens":1}""")), [Ok] },
        { "unknown fields are kept", Utf8(Line(body: """{"messages":[{"role":"user","x":[1]}],"temperature":0.2,"extra":{"a":[]}}""")), [Ok] },

        // Order of checks: only the first error counts.
        { "custom_id before method", Utf8(Line(id: "1", method: "\"GET\"")), [InvalidCustomId] },
        { "missing custom_id before body", Utf8(Line(id: null, body: "[]")), [MissingCustomId] },
        { "method before url", Utf8(Line(method: "\"GET\"", url: "\"/x\"")), [InvalidMethod] },
        { "url before body", Utf8(Line(url: "\"/x\"", body: "{}")), [InvalidUrl] },
        { "duplicate before method", Utf8(ValidA + "\n" + Line(method: "\"GET\"")), [Ok, DuplicateCustomId] },
        { "messages before model before max_tokens", Utf8(Line(body: """{"max_tokens":0,"model":1}""")), [InvalidBody] },
    };

    [Theory]
    [MemberData(nameof(LineCases))]
    public async Task Each_line_gets_the_code_of_its_first_problem(string name, byte[] input, string[] expected)
    {
        Assert.NotNull(name);
        foreach (var readSize in ReadSizes)
        {
            var lines = await ReadAllAsync(new ChunkedStream(input, readSize));

            Assert.Equal(expected, CodesInOrder(lines));
        }
    }

    public static TheoryData<string, string, string[]> TooLargeCases() => new()
    {
        { "line at the limit is read", ValidOfLength("a", 200) + "\n" + ValidB, [Ok, Ok] },
        { "line at the limit with CRLF is read", ValidOfLength("a", 200) + "\r\n" + ValidB, [Ok, Ok] },
        { "line one byte over the limit", ValidOfLength("a", 201) + "\n" + ValidB, [LineTooLarge, Ok] },
        { "line over the limit at the end without newline", ValidA + "\n" + ValidOfLength("b", 201), [Ok, LineTooLarge] },
        { "huge line then a valid line", new string('x', 5_000) + "\n" + ValidB, [LineTooLarge, Ok] },
        { "huge line larger than the read buffer", new string('x', 150_000) + "\n" + ValidB + "\n", [LineTooLarge, Ok] },
        { "huge line with a duplicate id inside does not claim it", ValidOfLength("b", 5_000) + "\n" + ValidB, [LineTooLarge, Ok] },
        { "huge blank line in the middle", ValidA + "\n" + new string(' ', 150_000) + "\n" + ValidB, [Ok, InvalidJsonLine, Ok] },
        { "huge blank line at the end is ignored", ValidA + "\n" + new string(' ', 150_000) + "\n\n", [Ok] },
    };

    [Theory]
    [MemberData(nameof(TooLargeCases))]
    public async Task Line_over_MaxLineBytes_is_too_large_and_the_next_line_still_parses(string name, string input, string[] expected)
    {
        Assert.NotNull(name);
        var options = new JsonlReaderOptions { MaxLineBytes = 200 };
        foreach (var readSize in ReadSizes)
        {
            var lines = await ReadAllAsync(new ChunkedStream(Utf8(input), readSize), options);

            Assert.Equal(expected, CodesInOrder(lines));
            Assert.All(lines.Where(l => l.Error?.Code == LineTooLarge), l => Assert.Null(l.CustomId));
        }
    }

    [Fact]
    public async Task Line_too_large_message_states_the_limit()
    {
        var lines = await ReadAllAsync(new string('x', 300), new JsonlReaderOptions { MaxLineBytes = 200 });

        var error = Assert.Single(lines).Error;
        Assert.Equal(LineTooLarge, error?.Code);
        Assert.Contains("200 bytes", error?.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Real_one_megabyte_plus_one_line_is_too_large_and_the_next_line_parses()
    {
        var input = new SyntheticStream()
            .Append(Utf8(ValidOfLength("max", 1024 * 1024) + "\n"))
            .Fill((byte)'x', (1024 * 1024) + 1)
            .Append(Utf8("\n" + ValidA + "\n"));

        var lines = await ReadAllAsync(input);

        Assert.Equal([Ok, LineTooLarge, Ok], CodesInOrder(lines));
        Assert.Equal(["max", null, "a"], lines.Select(l => l.CustomId));
    }

    [Fact]
    public async Task Huge_line_is_skipped_without_buffering_it()
    {
        const long hugeLength = 64L * 1024 * 1024;
        var input = new SyntheticStream()
            .Append(Utf8(ValidA + "\n{\"custom_id\":\""))
            .Fill((byte)'x', hugeLength)
            .Append(Utf8("\"}\n" + ValidB + "\n"));

        // Reads complete synchronously, so the whole read runs on this thread.
        var before = GC.GetAllocatedBytesForCurrentThread();
        var lines = await ReadAllAsync(input);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal([Ok, LineTooLarge, Ok], CodesInOrder(lines));
        Assert.True(input.BytesRead > hugeLength);
        Assert.True(allocated < 8L * 1024 * 1024, $"allocated {allocated} bytes to read a {hugeLength}-byte line");
    }

    [Fact]
    public async Task Duplicate_custom_id_marks_second_line_only()
    {
        var lines = await ReadAllAsync(ValidA + "\n" + ValidA + "\n" + ValidA + "\n");

        Assert.Equal([Ok, DuplicateCustomId, DuplicateCustomId], CodesInOrder(lines));
        Assert.All(lines, l => Assert.Equal("a", l.CustomId));
        Assert.Contains("line 1", lines[1].Error?.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Error_lines_carry_a_valid_custom_id()
    {
        var lines = await ReadAllAsync(string.Join("\n",
            Line(id: "\"m\"", method: "\"GET\""),
            Line(id: "\"u\"", url: "\"/v1/embeddings\""),
            Line(id: "\"b\"", body: "{}"),
            Line(id: "7"),
            Line(id: "\"\""),
            "[1]"));

        Assert.Equal([InvalidMethod, InvalidUrl, InvalidBody, InvalidCustomId, InvalidCustomId, InvalidJsonLine], CodesInOrder(lines));
        Assert.Equal(["m", "u", "b", null, null, null], lines.Select(l => l.CustomId));
        Assert.All(lines, l => Assert.True(l.Body.IsEmpty));
        Assert.All(lines, l => Assert.Null(l.Model));
    }

    [Fact]
    public async Task Body_is_the_exact_bytes_of_the_body_value()
    {
        const string body = """{ "model" : "gpt-4o" , "messages" : [ {"role":"user","content":"h\u00e9 \"q\" 漢字 😀"} ], "max_tokens":5, "x":[1,{"y":null}] }""";
        var line = $$"""{"custom_id":"a","body":{{body}} , "method":"POST","url":"/v1/chat/completions"}""";

        var result = Assert.Single(await ReadAllAsync(line + "\r\n"));

        Assert.True(result.IsValid);
        Assert.Equal(Utf8(body), result.Body.ToArray());
        Assert.Equal("gpt-4o", result.Model);
    }

    [Fact]
    public async Task Body_of_each_line_stays_intact_after_later_lines_are_read()
    {
        var lines = await ReadAllAsync(new ChunkedStream(Utf8(string.Join("\n", Enumerable.Range(0, 50).Select(i => Valid($"id-{i}")))), 13));

        Assert.Equal(50, lines.Count);
        Assert.All(lines, l => Assert.Equal(Utf8(DefaultBody), l.Body.ToArray()));
    }

    [Fact]
    public async Task Mixed_file_keeps_valid_lines_valid_with_their_indices()
    {
        string[] input =
        [
            Valid("q-0"),
            "not json",
            Valid("q-2"),
            string.Empty,
            Line(id: "\"q-4\"", method: "\"GET\""),
            Valid("q-2"),
            Line(id: "\"q-6\"", body: """{"messages":[{"role":"user","content":"x"}]}"""),
            Line(id: "\"q-7\"", url: "\"/chat/completions\""),
        ];

        var lines = await ReadAllAsync(string.Join("\r\n", input) + "\r\n\r\n");

        Assert.Equal([Ok, InvalidJsonLine, Ok, InvalidJsonLine, InvalidMethod, DuplicateCustomId, Ok, Ok], CodesInOrder(lines));
        Assert.Equal(["q-0", null, "q-2", null, "q-4", "q-2", "q-6", "q-7"], lines.Select(l => l.CustomId));
        Assert.Equal(["gpt-4o-mini", null, "gpt-4o-mini", null, null, null, null, "gpt-4o-mini"], lines.Select(l => l.Model));
        Assert.Equal("line 4 is blank; only trailing blank lines are allowed", lines[3].Error?.Message);
    }

    [Fact]
    public async Task Error_messages_are_precise_and_short()
    {
        var hugeBadJson = "{\"custom_id\":\"" + new string('x', 100_000);
        var lines = await ReadAllAsync(string.Join("\n",
            hugeBadJson,
            "[1,2]",
            Line(body: """{"messages":[]}"""),
            Line(id: "\"b\"", body: """{"messages":[{"role":"user"},{"content":"x"}]}"""),
            Line(id: "\"c\"", method: null),
            Line(id: "\"" + new string('y', 600) + "\"")));

        Assert.Equal([InvalidJsonLine, InvalidJsonLine, InvalidBody, InvalidBody, InvalidMethod, InvalidCustomId], CodesInOrder(lines));
        Assert.StartsWith("line 1 is not valid JSON: ", lines[0].Error?.Message, StringComparison.Ordinal);
        Assert.True(lines[0].Error?.Message.Length < 300);
        Assert.Equal("line 2 is not valid JSON: expected a JSON object, not an array", lines[1].Error?.Message);
        Assert.Equal("body.messages must be a non-empty array", lines[2].Error?.Message);
        Assert.Equal("body.messages[1].role is required", lines[3].Error?.Message);
        Assert.Contains("must be \"POST\"", lines[4].Error?.Message, StringComparison.Ordinal);
        Assert.Equal("custom_id is 600 characters long; the limit is 512", lines[5].Error?.Message);
    }

    [Fact]
    public async Task Invalid_utf8_message_gives_the_byte_offset()
    {
        var line = Assert.Single(await ReadAllAsync([(byte)'{', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)':', (byte)'1', (byte)'}']));

        Assert.Equal("line 1 is not valid UTF-8 (at byte 2)", line.Error?.Message);
    }

    public static TheoryData<string, byte[]> EmptyInputs() => new()
    {
        { "nothing", [] },
        { "newlines only", Utf8("\n\n\n") },
        { "whitespace lines only", Utf8("  \r\n\t\n \n") },
        { "BOM only", [0xEF, 0xBB, 0xBF] },
        { "BOM and a blank line", [0xEF, 0xBB, 0xBF, (byte)'\r', (byte)'\n'] },
    };

    [Theory]
    [MemberData(nameof(EmptyInputs))]
    public async Task Empty_or_blank_input_yields_no_lines(string name, byte[] input)
    {
        Assert.NotNull(name);
        foreach (var readSize in ReadSizes)
        {
            Assert.Empty(await ReadAllAsync(new ChunkedStream(input, readSize)));
        }
    }

    public static TheoryData<string, string, int, string[]> MaxLinesCases() => new()
    {
        { "exactly MaxLines", ValidA + "\n" + ValidB, 2, [Ok, Ok] },
        { "MaxLines and trailing blanks", ValidA + "\n" + ValidB + "\n\n \n", 2, [Ok, Ok] },
        { "MaxLines invalid lines", "x\ny\n", 2, [InvalidJsonLine, InvalidJsonLine] },
    };

    [Theory]
    [MemberData(nameof(MaxLinesCases))]
    public async Task Up_to_MaxLines_lines_are_read(string name, string input, int maxLines, string[] expected)
    {
        Assert.NotNull(name);
        var lines = await ReadAllAsync(input, new JsonlReaderOptions { MaxLines = maxLines });

        Assert.Equal(expected, CodesInOrder(lines));
    }

    public static TheoryData<string, string> TooManyLinesCases() => new()
    {
        { "one valid line too many", ValidA + "\n" + ValidB + "\n" + Valid("c") },
        { "one invalid line too many", "x\ny\nz\n" },
        { "a middle blank line counts", ValidA + "\n" + ValidB + "\n\n" + Valid("c") },
    };

    [Theory]
    [MemberData(nameof(TooManyLinesCases))]
    public async Task More_than_MaxLines_lines_throws_too_many_lines(string name, string input)
    {
        Assert.NotNull(name);
        var yielded = new List<BatchLine>();

        var ex = await Assert.ThrowsAsync<BatchLimitExceededException>(async () =>
        {
            await foreach (var line in JsonlBatchReader.ReadAsync(new MemoryStream(Utf8(input)), new JsonlReaderOptions { MaxLines = 2 }))
            {
                yielded.Add(line);
            }
        });

        Assert.Equal("too_many_lines", ex.Code);
        Assert.Equal(2, ex.Limit);
        Assert.Contains("2 lines", ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, yielded.Count);
    }

    [Fact]
    public async Task More_than_MaxTotalBytes_throws_batch_too_large()
    {
        var input = Utf8(ValidA + "\n" + ValidB + "\n");

        var ex = await Assert.ThrowsAsync<BatchLimitExceededException>(() =>
            ReadAllAsync(new ChunkedStream(input, 16), new JsonlReaderOptions { MaxTotalBytes = input.Length - 1 }));

        Assert.Equal("batch_too_large", ex.Code);
        Assert.Equal(input.Length - 1, ex.Limit);
        Assert.Contains($"{input.Length - 1} bytes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Input_of_exactly_MaxTotalBytes_is_read()
    {
        var input = Utf8(ValidA + "\n" + ValidB + "\n\n\n");

        var lines = await ReadAllAsync(input, new JsonlReaderOptions { MaxTotalBytes = input.Length });

        Assert.Equal([Ok, Ok], CodesInOrder(lines));
    }

    [Fact]
    public async Task Trailing_blank_bytes_count_toward_MaxTotalBytes()
    {
        var input = Utf8(ValidA + "\n" + new string('\n', 100));

        await Assert.ThrowsAsync<BatchLimitExceededException>(() =>
            ReadAllAsync(input, new JsonlReaderOptions { MaxTotalBytes = input.Length - 50 }));
    }

    [Fact]
    public async Task Cancellation_stops_the_read()
    {
        using var cts = new CancellationTokenSource();
        var lines = JsonlBatchReader.ReadAsync(new ChunkedStream(Utf8(ValidA + "\n" + ValidB + "\n"), 8), cancellationToken: cts.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var line in lines)
            {
                Assert.Equal(0, line.Index);
                await cts.CancelAsync();
            }
        });
    }

    [Fact]
    public void Invalid_options_are_rejected_when_called()
    {
        using var input = new MemoryStream();

        Assert.Throws<ArgumentNullException>(() => JsonlBatchReader.ReadAsync(null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => JsonlBatchReader.ReadAsync(input, new JsonlReaderOptions { MaxLineBytes = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => JsonlBatchReader.ReadAsync(input, new JsonlReaderOptions { MaxLines = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => JsonlBatchReader.ReadAsync(input, new JsonlReaderOptions { MaxTotalBytes = -1 }));
    }

    [Fact]
    public async Task Valid_body_parses_as_the_original_request()
    {
        var line = Assert.Single(await ReadAllAsync(ValidA));

        using var doc = JsonDocument.Parse(line.Body);
        Assert.Equal("Hi", doc.RootElement.GetProperty("messages")[0].GetProperty("content").GetString());
        Assert.Equal(DefaultBody, Encoding.UTF8.GetString(line.Body.Span));
    }
}
