using System.Net;
using System.Text.RegularExpressions;

namespace Lupa.Tests;

/// <summary>A browser-like client of the admin UI: keeps cookies, sends the antiforgery token the page gave.</summary>
internal sealed partial class Session(LupaTestHost host) : IDisposable
{
    private readonly HttpClient _http = new(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() }) { BaseAddress = new Uri(host.BaseUrl) };

    public Task<HttpResponseMessage> GetAsync(string path) => _http.GetAsync(path);

    /// <summary>The page's HTML; fails unless it answers 200.</summary>
    public async Task<string> GetPageAsync(string path)
    {
        var r = await _http.GetAsync(path);
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.OK, $"{path}: {(int)r.StatusCode} {text}");
        return text;
    }

    public async Task<HttpResponseMessage> PostFormAsync(string pagePath, string postPath, params (string, string)[] fields)
    {
        var page = await _http.GetStringAsync(pagePath);
        var token = TokenPattern().Match(page).Groups[1].Value;
        var all = fields.Select(f => new KeyValuePair<string, string>(f.Item1, f.Item2)).Append(new("__RequestVerificationToken", token));
        return await _http.PostAsync(postPath, new FormUrlEncodedContent(all));
    }

    /// <summary>Posts multipart/form-data with one file part named "file", like a browser's upload form.</summary>
    public async Task<HttpResponseMessage> PostFileAsync(string pagePath, string postPath, string fileName, byte[] file, params (string, string)[] fields)
    {
        var page = await _http.GetStringAsync(pagePath);
        var token = TokenPattern().Match(page).Groups[1].Value;
        using var form = new MultipartFormDataContent();
        var content = new ByteArrayContent(file);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/csv");
        form.Add(content, "file", fileName);
        foreach (var (name, value) in fields.Append(("__RequestVerificationToken", token)))
            form.Add(new StringContent(value), name);
        return await _http.PostAsync(postPath, form);
    }

    public async Task<HttpResponseMessage> LoginAsync(string email, string password) =>
        await PostFormAsync("/admin/login", "/admin/login", ("email", email), ("password", password));

    public void Dispose() => _http.Dispose();

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();
}
