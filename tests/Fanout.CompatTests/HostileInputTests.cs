using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Xunit;
using Xunit.Abstractions;

namespace Fanout.CompatTests;

/// <summary>
/// Bodies an attacker or a busy team sends: compressed uploads on every HTTP upload path (decoded, limits on the
/// decoded bytes), a zip bomb, an encoding nothing decodes, and a file deleted while a batch that reads it is created.
/// </summary>
public sealed class HostileInputTests(CompatHostFixture fixture, ITestOutputHelper output) : IClassFixture<CompatHostFixture>
{
    public static TheoryData<string> Encodings => ["gzip", "br"];

    [Theory]
    [MemberData(nameof(Encodings))]
    public async Task A_compressed_jsonl_submit_is_decoded_and_every_line_runs(string encoding)
    {
        var jsonl = string.Concat(Enumerable.Range(0, 5).Select(i => CompatHostFixture.ChatLine($"z-{i}", $"compressed {encoding} {i}") + "\n"));
        using var content = new ByteArrayContent(Compress(Encoding.UTF8.GetBytes(jsonl), encoding));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/jsonl");
        content.Headers.ContentEncoding.Add(encoding);

        using var response = await fixture.Http.PostAsync("/api/batches", content);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var (_, batch) = await fixture.WaitAsync(id);
        Assert.Equal("completed", batch.GetProperty("status").GetString());
        Assert.Equal(5, batch.GetProperty("request_counts").GetProperty("completed").GetInt32());
        Assert.Equal(0, batch.GetProperty("request_counts").GetProperty("failed").GetInt32());
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public async Task A_compressed_file_upload_is_stored_decoded(string encoding)
    {
        var jsonl = CompatHostFixture.ChatLine("f-0", "a compressed upload") + "\n";
        using var multipart = CompatHostFixture.Multipart(jsonl);
        var raw = await multipart.ReadAsByteArrayAsync();
        using var content = new ByteArrayContent(Compress(raw, encoding));
        content.Headers.ContentType = multipart.Headers.ContentType;
        content.Headers.ContentEncoding.Add(encoding);

        using var response = await fixture.Http.PostAsync("/v1/files", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var file = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(Encoding.UTF8.GetByteCount(jsonl), file.GetProperty("bytes").GetInt64());
        Assert.Equal(jsonl, await fixture.Http.GetStringAsync($"/v1/files/{file.GetProperty("id").GetString()}/content"));
    }

    [Theory]
    [InlineData("/api/batches", "application/jsonl", "zstd")]
    [InlineData("/api/batches", "application/json", "gzip, br")]
    [InlineData("/v1/files", "multipart/form-data; boundary=x", "compress")]
    [InlineData("/v1/batches", "application/json", "zstd")]
    public async Task An_encoding_nothing_decodes_gets_415_naming_content_encoding(string path, string contentType, string encoding)
    {
        using var content = new ByteArrayContent([1, 2, 3]);
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        content.Headers.TryAddWithoutValidation("Content-Encoding", encoding);

        using var response = await fixture.Http.PostAsync(path, content);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Contains("Content-Encoding", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api/batches")]
    [InlineData("/v1/files")]
    public async Task A_zip_bomb_gets_413_in_bounded_memory(string path)
    {
        // 1 GB of zeros in 1 MB of gzip: 128 gzip members of 8 MB each (a gzip stream may hold several members); for
        // /v1/files behind a well-formed multipart head, so the zeros are the file's content.
        var head = path == "/v1/files"
            ? Compress(Encoding.ASCII.GetBytes("--bomb\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--bomb\r\nContent-Disposition: form-data; name=\"file\"; filename=\"bomb.jsonl\"\r\n\r\n"), "gzip")
            : [];
        var member = Compress(new byte[8 * 1024 * 1024], "gzip");
        var bomb = new byte[head.Length + (member.Length * 128)];
        head.CopyTo(bomb, 0);
        for (var i = 0; i < 128; i++)
        {
            member.CopyTo(bomb, head.Length + (i * member.Length));
        }

        var before = PeakResidentBytes(fixture.Host.ProcessId);
        using var content = new ByteArrayContent(bomb);
        content.Headers.ContentEncoding.Add("gzip");
        content.Headers.ContentType = path == "/v1/files"
            ? MediaTypeHeaderValue.Parse("multipart/form-data; boundary=bomb")
            : new MediaTypeHeaderValue("application/jsonl");

        using var response = await fixture.Http.PostAsync(path, content);

        var after = PeakResidentBytes(fixture.Host.ProcessId);
        output.WriteLine($"{path}: {bomb.Length:N0} bytes of gzip (1 GiB decoded) → {(int)response.StatusCode}; host peak resident {before / 1048576} → {after / 1048576} MiB");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.InRange(after - before, 0, 200L * 1024 * 1024);
    }

    [Fact]
    public async Task A_file_deleted_while_its_batch_is_created_never_leaves_a_batch_without_input()
    {
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);
        var created = new List<string>();
        var random = new Random(22);
        for (var i = 0; i < 50; i++)
        {
            var file = await fixture.UploadAsync([CompatHostFixture.ChatLine($"r-{i}", $"race {i}")]);
            var create = fixture.Http.PostAsJsonAsync("/v1/batches", new { input_file_id = file.Id, endpoint = "/v1/chat/completions", completion_window = "24h" });
            await Task.Delay(random.Next(0, 60));
            using var deleted = await fixture.Http.DeleteAsync($"/v1/files/{file.Id}");
            using var createdResponse = await create;

            var outcome = $"create {(int)createdResponse.StatusCode}, delete {(int)deleted.StatusCode}";
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            Assert.True(
                (createdResponse.StatusCode == HttpStatusCode.OK && deleted.StatusCode == HttpStatusCode.Conflict)
                || (createdResponse.StatusCode == HttpStatusCode.NotFound && deleted.StatusCode == HttpStatusCode.OK),
                $"{outcome}: {await createdResponse.Content.ReadAsStringAsync()} / {await deleted.Content.ReadAsStringAsync()}");
            if (createdResponse.StatusCode == HttpStatusCode.OK)
            {
                created.Add((await createdResponse.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!);
            }
        }

        output.WriteLine(string.Join("; ", outcomes.Select(o => $"{o.Key}: {o.Value}")));
        foreach (var id in created)
        {
            var (_, batch) = await fixture.WaitAsync(id);
            Assert.True(batch.GetProperty("status").GetString() == "completed", $"batch {id}: {batch}");
            Assert.Equal(0, batch.GetProperty("request_counts").GetProperty("failed").GetInt32());
        }
    }

    private static byte[] Compress(byte[] data, string encoding)
    {
        using var buffer = new MemoryStream();
        using (Stream compressor = encoding == "br" ? new BrotliStream(buffer, CompressionLevel.Fastest) : new GZipStream(buffer, CompressionLevel.Optimal))
        {
            compressor.Write(data);
        }

        return buffer.ToArray();
    }

    // VmHWM: the process's peak resident set so far.
    private static long PeakResidentBytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }
}
