using Fanout.Host.Extensions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace Fanout.Tests.Options;

/// <summary><c>Fanout:Host:*</c> is bound through one options class whose wrong values stop the start with a message naming the key.</summary>
public sealed class FanoutHostOptionsTests
{
    [Fact]
    public void Every_key_binds_and_unset_keys_keep_their_defaults()
    {
        var o = Bind(("Fanout:Host:Urls", "http://127.0.0.1:9000"), ("Fanout:Host:ApiKey", "k"), ("Fanout:Host:WatchBlobs", "false"), ("Fanout:Host:Azurite:OrphanGrace", "00:00:03"));

        Assert.Equal("http://127.0.0.1:9000", o.Urls);
        Assert.Equal("k", o.Key);
        Assert.False(o.WatchBlobs);
        Assert.Equal(TimeSpan.FromSeconds(3), o.Azurite.OrphanGrace);
        Assert.Equal(2000, o.BlobPollMilliseconds);
        Assert.Equal(TimeSpan.FromSeconds(15), o.ShutdownTimeout);
        Assert.Null(Bind(("Fanout:Host:ApiKey", "")).Key);
    }

    [Theory]
    [InlineData("Fanout:Host:ShutdownTimeout", "00:00:00")]
    [InlineData("Fanout:Host:ShutdownTimeout", "-00:00:05")]
    [InlineData("Fanout:Host:BlobPollMilliseconds", "0")]
    public void A_wrong_value_fails_validation_naming_its_key(string key, string value)
    {
        var e = Assert.Throws<OptionsValidationException>(() => Bind((key, value)));

        Assert.Contains(key, e.Message, StringComparison.Ordinal);
    }

    private static FanoutHostOptions Bind(params (string Key, string Value)[] settings)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create<string, string?>(s.Key, s.Value))).Build();
        using var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(config)
            .AddOptions<FanoutHostOptions>().BindConfiguration(FanoutHostOptions.SectionName).ValidateDataAnnotations().Services
            .BuildServiceProvider();
        return services.GetRequiredService<IOptions<FanoutHostOptions>>().Value;
    }
}
