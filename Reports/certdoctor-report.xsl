<?xml version="1.0" encoding="UTF-8"?>
<!--
  Renders a certdoctor report (certdoctor-report.xsd) as one self-contained HTML page:
  no script, no fonts, images or styles from anywhere else. The verdict leads, then the problems with their
  evidence open, advisory findings, fixes, what passed (evidence collapsed in <details>, printed open), and what
  was not examined, one line per area.
  Parameter lang = zh | en (default: the report's own language).
-->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:r="urn:certdoctor:report:1"
    exclude-result-prefixes="r">

  <xsl:output method="html" encoding="UTF-8" indent="no" doctype-system="about:legacy-compat"/>
  <!-- Results by id: a lookup per blocking check is then constant, not a scan of every result (which made
       a report of 10,000 checks quadratic). -->
  <xsl:key name="check-by-id" match="r:results/r:check" use="@id"/>

  <xsl:param name="lang" select="/r:report/@language"/>
  <xsl:variable name="en" select="$lang = 'en'"/>

  <!-- A bilingual text element: its <zh> or <en> child. -->
  <xsl:template match="*" mode="l">
    <xsl:choose>
      <xsl:when test="$en"><xsl:value-of select="r:en"/></xsl:when>
      <xsl:otherwise><xsl:value-of select="r:zh"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template name="outcome-label">
    <xsl:param name="outcome"/>
    <xsl:choose>
      <xsl:when test="$outcome = 'pass'"><xsl:if test="$en">Pass</xsl:if><xsl:if test="not($en)">通过</xsl:if></xsl:when>
      <xsl:when test="$outcome = 'fail'"><xsl:if test="$en">Fail</xsl:if><xsl:if test="not($en)">未通过</xsl:if></xsl:when>
      <xsl:when test="$outcome = 'error'"><xsl:if test="$en">Error</xsl:if><xsl:if test="not($en)">无法检查</xsl:if></xsl:when>
      <xsl:when test="$outcome = 'notapplicable'"><xsl:if test="$en">Not applicable</xsl:if><xsl:if test="not($en)">不适用</xsl:if></xsl:when>
      <xsl:when test="$outcome = 'notchecked'"><xsl:if test="$en">Not checked</xsl:if><xsl:if test="not($en)">未检查</xsl:if></xsl:when>
      <xsl:when test="$outcome = 'informational'"><xsl:if test="$en">Information</xsl:if><xsl:if test="not($en)">信息</xsl:if></xsl:when>
      <xsl:when test="$outcome = 'fixed'"><xsl:if test="$en">Fixed</xsl:if><xsl:if test="not($en)">已修复</xsl:if></xsl:when>
      <xsl:otherwise><xsl:value-of select="$outcome"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="/r:report">
    <html lang="{$lang}">
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title>
          <xsl:if test="$en">certdoctor report</xsl:if><xsl:if test="not($en)">certdoctor 检查报告</xsl:if>
          <xsl:if test="r:summary/r:scope/@subjectName">
            <xsl:text> — </xsl:text><xsl:value-of select="r:summary/r:scope/@subjectName"/>
          </xsl:if>
          <xsl:text> — </xsl:text><xsl:value-of select="r:host/r:hostName"/>
          <xsl:text> — </xsl:text><xsl:value-of select="substring(r:run/@started, 1, 10)"/>
        </title>
        <style>
          body { font-family: "Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif;
                 margin: 0 auto; max-width: 60rem; padding: 1rem 1.5rem; color: #1b1b1b; line-height: 1.5; }
          .verdict { border-radius: .5rem; padding: 1rem 1.5rem; margin: 1rem 0 2rem; }
          .verdict h1 { font-size: 2.2rem; margin: 0 0 .5rem; }
          .verdict.ready { background: #e3f4e6; border: 3px solid #1e7b34; }
          .verdict.blocked { background: #fdecea; border: 3px solid #b3261e; }
          .verdict ol { font-size: 1.15rem; }
          h2 { border-bottom: 1px solid #ccc; margin-top: 2rem; }
          .check { border: 1px solid #ddd; border-left: 6px solid #999; border-radius: .3rem;
                   padding: .5rem 1rem; margin: .75rem 0; page-break-inside: avoid; break-inside: avoid; }
          .check h3 { margin: .2rem 0; font-size: 1.1rem; }
          .check .id { font-family: monospace; color: #555; font-size: .9rem; }
          .outcome { display: inline-block; min-width: 5.5em; text-align: center; border-radius: .2rem;
                     padding: 0 .4rem; margin-right: .5rem; font-weight: bold; color: #fff; background: #777; }
          .o-pass, .o-fixed { border-left-color: #1e7b34; } .o-pass .outcome, .o-fixed .outcome { background: #1e7b34; }
          .o-fail { border-left-color: #b3261e; } .o-fail .outcome { background: #b3261e; }
          .o-error { border-left-color: #8a4b00; } .o-error .outcome { background: #8a4b00; }
          .remedy { background: #fff8e1; padding: .3rem .6rem; border-radius: .2rem; }
          table { border-collapse: collapse; width: 100%; font-size: .9rem; }
          th, td { text-align: left; vertical-align: top; padding: .15rem .5rem; border-bottom: 1px solid #eee; }
          td.value { font-family: monospace; word-break: break-all; white-space: pre-wrap; }
          .counts span { margin-right: 1rem; }
          .meta { color: #555; font-size: .9rem; }
          .title { color: #333; font-size: 1.05rem; margin: .5rem 0 0; }
          .title .gateway { font-weight: bold; font-family: monospace; font-size: 1.2rem; }
          .folded { color: #555; }
          .folded .ids { font-family: monospace; font-size: .9rem; }
          @page { size: A4; margin: 14mm 12mm; }
          @media print {
            body { max-width: none; padding: 0; font-size: 10.5pt; }
            /* Paper cannot be clicked open: every piece of evidence is printed. */
            details::details-content { content-visibility: visible; display: block; }
            details > summary { list-style: none; font-weight: bold; }
            h2 { break-after: avoid; }
            .verdict { border-width: 2px; background: none; }
            .outcome { color: #000; background: none !important; border: 1px solid #000; }
            a { color: inherit; text-decoration: none; }
          }
        </style>
      </head>
      <body>
        <p class="title">
          <xsl:if test="r:summary/r:scope/@subjectName">
            <span class="gateway"><xsl:value-of select="r:summary/r:scope/@subjectName"/></span><xsl:text> · </xsl:text>
          </xsl:if>
          <span class="host"><xsl:value-of select="r:host/r:hostName"/></span><xsl:text> · </xsl:text>
          <span class="date"><xsl:call-template name="both-times"><xsl:with-param name="utc" select="r:run/@started"/>
            <xsl:with-param name="local" select="r:run/@startedLocal"/></xsl:call-template></span>
        </p>
        <xsl:apply-templates select="r:summary"/>
        <p class="meta">
          <xsl:value-of select="r:tool/@name"/><xsl:text> </xsl:text><xsl:value-of select="r:tool/@version"/>
          <xsl:text> · </xsl:text><xsl:if test="$en">profile</xsl:if><xsl:if test="not($en)">配置</xsl:if>
          <xsl:text> </xsl:text><xsl:value-of select="r:profile"/>
          <xsl:text> · </xsl:text><xsl:value-of select="r:run/@durationSeconds"/><xsl:text> s</xsl:text>
        </p>

        <!-- What stands in the way comes first, then what is only advised, then what passed; what did not
             apply is one line per area at the end. -->
        <xsl:variable name="problems" select="r:results/r:check[@severity = 'required' and (@outcome = 'fail' or @outcome = 'error')]"/>
        <xsl:variable name="advice" select="r:results/r:check[@severity != 'required' and (@outcome = 'fail' or @outcome = 'error')]"/>
        <xsl:variable name="passed" select="r:results/r:check[@outcome = 'pass' or @outcome = 'fixed' or @outcome = 'informational']"/>
        <xsl:variable name="skipped" select="r:results/r:check[@outcome = 'notapplicable' or @outcome = 'notchecked']"/>
        <xsl:if test="$problems">
          <h2 id="problems"><xsl:if test="$en">Problems</xsl:if><xsl:if test="not($en)">需要处理的问题</xsl:if></h2>
          <xsl:apply-templates select="$problems"><xsl:with-param name="open" select="true()"/></xsl:apply-templates>
        </xsl:if>
        <xsl:if test="$advice">
          <h2 id="advice"><xsl:if test="$en">Advisory findings</xsl:if><xsl:if test="not($en)">建议项</xsl:if></h2>
          <xsl:apply-templates select="$advice"><xsl:with-param name="open" select="true()"/></xsl:apply-templates>
        </xsl:if>

        <xsl:if test="r:fixes/r:fix">
          <h2><xsl:if test="$en">Fixes</xsl:if><xsl:if test="not($en)">修复</xsl:if></h2>
          <xsl:apply-templates select="r:fixes/r:fix"/>
        </xsl:if>

        <xsl:if test="r:renewal/r:step">
          <h2><xsl:if test="$en">Renewal</xsl:if><xsl:if test="not($en)">证书更新</xsl:if></h2>
          <table>
            <xsl:for-each select="r:renewal/r:step">
              <tr><td><xsl:value-of select="@time"/></td><td><xsl:value-of select="@name"/></td>
                  <td><xsl:value-of select="@outcome"/></td><td><xsl:apply-templates select="r:detail" mode="l"/></td></tr>
            </xsl:for-each>
          </table>
        </xsl:if>

        <xsl:if test="$passed">
          <h2 id="passed"><xsl:if test="$en">Passed</xsl:if><xsl:if test="not($en)">已通过</xsl:if></h2>
          <xsl:apply-templates select="$passed"/>
        </xsl:if>

        <xsl:if test="$skipped">
          <h2 id="not-applicable"><xsl:if test="$en">Not examined</xsl:if><xsl:if test="not($en)">未检查的项目</xsl:if></h2>
          <xsl:variable name="areas" select="r:summary/r:scope/r:area[r:check]"/>
          <ul class="folded">
            <xsl:for-each select="$areas">
              <xsl:variable name="here" select="key('check-by-id', r:check/@id)[@outcome = 'notapplicable' or @outcome = 'notchecked']"/>
              <xsl:if test="$here">
                <li data-area="{@id}">
                  <strong><xsl:apply-templates select="r:title" mode="l"/></strong>
                  <xsl:if test="$en">: </xsl:if><xsl:if test="not($en)">：</xsl:if>
                  <xsl:choose>
                    <xsl:when test="r:hint"><xsl:apply-templates select="r:hint" mode="l"/></xsl:when>
                    <xsl:otherwise><xsl:apply-templates select="$here[1]/r:message" mode="l"/></xsl:otherwise>
                  </xsl:choose>
                  <xsl:text> — </xsl:text>
                  <span class="ids">
                    <xsl:for-each select="$here">
                      <span data-check="{@id}" data-outcome="{@outcome}"><xsl:value-of select="@id"/></span>
                      <xsl:if test="position() != last()"><xsl:text>, </xsl:text></xsl:if>
                    </xsl:for-each>
                  </span>
                </li>
              </xsl:if>
            </xsl:for-each>
            <!-- A report written before areas listed their checks: each check on a line of its own. -->
            <xsl:if test="not($areas)">
              <xsl:for-each select="$skipped">
                <li><span data-check="{@id}" data-outcome="{@outcome}"><xsl:value-of select="@id"/></span>
                  <xsl:text> — </xsl:text><xsl:apply-templates select="r:message" mode="l"/></li>
              </xsl:for-each>
            </xsl:if>
          </ul>
        </xsl:if>

        <h2><xsl:if test="$en">Environment</xsl:if><xsl:if test="not($en)">运行环境</xsl:if></h2>
        <table class="host">
          <tr><th><xsl:if test="$en">Host</xsl:if><xsl:if test="not($en)">主机</xsl:if></th><td><xsl:value-of select="r:host/r:hostName"/></td></tr>
          <tr><th><xsl:if test="$en">Operating system</xsl:if><xsl:if test="not($en)">操作系统</xsl:if></th><td><xsl:value-of select="r:host/r:operatingSystem"/></td></tr>
          <tr><th><xsl:if test="$en">Kernel</xsl:if><xsl:if test="not($en)">内核</xsl:if></th><td><xsl:value-of select="r:host/r:kernel"/></td></tr>
          <tr><th><xsl:if test="$en">Started</xsl:if><xsl:if test="not($en)">开始时间</xsl:if></th>
              <td><xsl:call-template name="both-times"><xsl:with-param name="utc" select="r:run/@started"/>
                <xsl:with-param name="local" select="r:run/@startedLocal"/></xsl:call-template></td></tr>
          <xsl:if test="r:run/r:command">
            <tr><th><xsl:if test="$en">Command</xsl:if><xsl:if test="not($en)">命令</xsl:if></th>
                <td class="value command"><xsl:value-of select="r:run/r:command"/></td></tr>
          </xsl:if>
          <xsl:for-each select="r:host/r:component">
            <tr><th><xsl:value-of select="@name"/></th><td><xsl:value-of select="@version"/></td></tr>
          </xsl:for-each>
          <xsl:for-each select="r:targets/r:target">
            <tr><th><xsl:if test="$en">Target </xsl:if><xsl:if test="not($en)">检查对象 </xsl:if><xsl:value-of select="@kind"/></th>
                <td class="value"><xsl:value-of select="."/></td></tr>
          </xsl:for-each>
        </table>

        <xsl:call-template name="requirements"/>

        <h2><xsl:if test="$en">Support</xsl:if><xsl:if test="not($en)">技术支持</xsl:if></h2>
        <p>
          <xsl:for-each select="r:support">
            <xsl:apply-templates select="r:label" mode="l"/><xsl:if test="$en">: </xsl:if><xsl:if test="not($en)">：</xsl:if>
            <strong><xsl:value-of select="@phone"/></strong><xsl:if test="$en">. </xsl:if><xsl:if test="not($en)">。</xsl:if>
          </xsl:for-each>
          <xsl:if test="$en">Attach report.xml (or the support bundle) to your ticket.</xsl:if>
          <xsl:if test="not($en)">提交工单时请附上 report.xml（或支持包）。</xsl:if>
          <xsl:if test="@redacted = 'true'">
            <xsl:if test="$en"> Personal data in this report is replaced by placeholders such as &lt;user-1&gt;.</xsl:if>
            <xsl:if test="not($en)"> 本报告中的个人信息已替换为 &lt;user-1&gt; 等占位符。</xsl:if>
          </xsl:if>
        </p>
      </body>
    </html>
  </xsl:template>

  <xsl:template match="r:summary">
    <section id="verdict">
      <xsl:attribute name="class">verdict <xsl:choose><xsl:when test="@readyToRenew = 'true'">ready</xsl:when><xsl:otherwise>blocked</xsl:otherwise></xsl:choose></xsl:attribute>
      <xsl:attribute name="data-ready"><xsl:value-of select="@readyToRenew"/></xsl:attribute>
      <h1>
        <xsl:choose>
          <xsl:when test="@readyToRenew = 'true'">
            <xsl:if test="$en">✔ The certificate can be renewed now</xsl:if><xsl:if test="not($en)">✔ 现在可以更新证书</xsl:if>
          </xsl:when>
          <xsl:otherwise>
            <xsl:if test="$en">✘ The certificate cannot be renewed yet</xsl:if><xsl:if test="not($en)">✘ 暂时不能更新证书</xsl:if>
          </xsl:otherwise>
        </xsl:choose>
      </h1>
      <xsl:if test="r:expiry/r:warning">
        <p class="expiry-warning"><strong>⚠ <xsl:apply-templates select="r:expiry/r:warning" mode="l"/></strong></p>
      </xsl:if>
      <p class="verdict-line"><strong><xsl:apply-templates select="r:verdict" mode="l"/></strong></p>
      <p class="scope"><xsl:apply-templates select="r:scope/r:line" mode="l"/></p>
      <p><xsl:apply-templates select="r:reason" mode="l"/></p>
      <xsl:if test="r:blocking">
        <p><strong><xsl:if test="$en">What to do first:</xsl:if><xsl:if test="not($en)">请先处理：</xsl:if></strong></p>
        <ol>
          <xsl:for-each select="r:blocking">
            <xsl:variable name="check" select="key('check-by-id', @check)"/>
            <li>
              <a href="#check-{@check}"><xsl:apply-templates select="$check/r:title" mode="l"/></a>
              <xsl:if test="$check/r:remedy">
                <xsl:text> — </xsl:text><xsl:apply-templates select="$check/r:remedy" mode="l"/>
              </xsl:if>
            </li>
          </xsl:for-each>
        </ol>
      </xsl:if>
      <p class="counts">
        <xsl:for-each select="r:count[. != '0']">
          <span>
            <xsl:call-template name="outcome-label"><xsl:with-param name="outcome" select="@outcome"/></xsl:call-template>
            <xsl:text> </xsl:text><xsl:value-of select="."/>
          </span>
        </xsl:for-each>
      </p>
    </section>
  </xsl:template>

  <!-- "2026-12-07 09:50:30 (UTC+08:00) · 01:50:30 UTC": the reader's own clock first, and UTC, which support
       shares with the logs. -->
  <xsl:template name="both-times">
    <xsl:param name="utc"/>
    <xsl:param name="local"/>
    <xsl:choose>
      <xsl:when test="$local and $local != $utc">
        <xsl:value-of select="translate(substring($local, 1, 19), 'T', ' ')"/>
        <xsl:text> (UTC</xsl:text><xsl:value-of select="substring($local, 20)"/><xsl:text>) · </xsl:text>
        <xsl:value-of select="substring($utc, 12, 8)"/><xsl:text> UTC</xsl:text>
      </xsl:when>
      <xsl:otherwise>
        <xsl:value-of select="translate(substring($utc, 1, 19), 'T', ' ')"/><xsl:text> UTC</xsl:text>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="r:check">
    <!-- A problem's evidence is open: it is what support reads first. -->
    <xsl:param name="open" select="false()"/>
    <section class="check o-{@outcome}" id="check-{@id}" data-check="{@id}" data-outcome="{@outcome}">
      <h3>
        <span class="outcome">
          <xsl:call-template name="outcome-label"><xsl:with-param name="outcome" select="@outcome"/></xsl:call-template>
        </span>
        <xsl:apply-templates select="r:title" mode="l"/>
      </h3>
      <div class="id">
        <xsl:value-of select="@id"/>
        <xsl:text> · </xsl:text><xsl:value-of select="@outcome"/>
        <xsl:text> · </xsl:text>
        <xsl:choose>
          <xsl:when test="@severity = 'required'"><xsl:if test="$en">required</xsl:if><xsl:if test="not($en)">必需</xsl:if></xsl:when>
          <xsl:otherwise><xsl:if test="$en">advisory</xsl:if><xsl:if test="not($en)">建议</xsl:if></xsl:otherwise>
        </xsl:choose>
        <xsl:for-each select="r:requirement">
          <xsl:text> · </xsl:text><a class="req" href="#req-{.}"><xsl:value-of select="."/></a>
        </xsl:for-each>
      </div>
      <p class="message"><xsl:apply-templates select="r:message" mode="l"/></p>
      <xsl:if test="r:remedy">
        <p class="remedy"><strong><xsl:if test="$en">Remedy: </xsl:if><xsl:if test="not($en)">处理方法：</xsl:if></strong>
          <xsl:apply-templates select="r:remedy" mode="l"/></p>
      </xsl:if>
      <xsl:if test="r:evidence/r:fact or r:certificate">
        <details>
          <xsl:if test="$open"><xsl:attribute name="open">open</xsl:attribute></xsl:if>
          <summary>
            <xsl:if test="$en">Evidence</xsl:if><xsl:if test="not($en)">证据</xsl:if>
            <xsl:text> (</xsl:text><xsl:value-of select="count(r:evidence/r:fact) + count(r:certificate)"/><xsl:text>)</xsl:text>
          </summary>
          <table>
            <xsl:for-each select="r:evidence/r:fact">
              <tr><th><xsl:value-of select="@name"/></th><td class="value"><xsl:value-of select="."/></td></tr>
            </xsl:for-each>
            <xsl:for-each select="r:certificate">
              <tr><th><xsl:if test="$en">Certificate</xsl:if><xsl:if test="not($en)">证书</xsl:if></th>
                <td class="value">CN=<xsl:value-of select="@subjectCN"/>; issuer CN=<xsl:value-of select="@issuerCN"/>;
                  serial <xsl:value-of select="@serialNumber"/>; <xsl:value-of select="@notBefore"/> – <xsl:value-of select="@notAfter"/>;
                  <xsl:value-of select="@filePath"/></td></tr>
            </xsl:for-each>
          </table>
        </details>
      </xsl:if>
    </section>
  </xsl:template>

  <xsl:template match="r:fix">
    <section class="fix" data-check="{@check}">
      <h3><xsl:apply-templates select="r:summary" mode="l"/></h3>
      <div class="id">
        <a href="#check-{@check}"><xsl:value-of select="@check"/></a>
        <xsl:text> · </xsl:text>
        <xsl:choose>
          <xsl:when test="@applied = 'true'"><xsl:if test="$en">applied</xsl:if><xsl:if test="not($en)">已应用</xsl:if></xsl:when>
          <xsl:otherwise><xsl:if test="$en">planned</xsl:if><xsl:if test="not($en)">计划中</xsl:if></xsl:otherwise>
        </xsl:choose>
        <xsl:if test="@outcome"><xsl:text> · </xsl:text><xsl:value-of select="@outcome"/></xsl:if>
      </div>
      <ul>
        <xsl:for-each select="r:change">
          <li><xsl:apply-templates select="r:description" mode="l"/>
            <xsl:if test="r:before or r:after">
              <xsl:text>: </xsl:text><code><xsl:value-of select="r:before"/></code> → <code><xsl:value-of select="r:after"/></code>
            </xsl:if>
          </li>
        </xsl:for-each>
      </ul>
      <xsl:if test="r:journalEntry"><p class="meta"><xsl:if test="$en">Journal entry </xsl:if><xsl:if test="not($en)">修复日志记录 </xsl:if><code><xsl:value-of select="r:journalEntry"/></code></p></xsl:if>
      <xsl:if test="r:error"><p class="remedy"><xsl:value-of select="r:error"/></p></xsl:if>
    </section>
  </xsl:template>

  <!-- The texts of the requirement ids the checks cite, the targets of the links above; the report carries
       them from the run's profile, so this stylesheet knows no procedure. -->
  <xsl:template name="requirements">
    <xsl:variable name="texts" select="r:requirementTexts"/>
    <xsl:if test="r:results/r:check/r:requirement and $texts/r:item">
      <h2><xsl:apply-templates select="$texts/r:title" mode="l"/></h2>
      <dl class="requirements">
        <xsl:for-each select="$texts/r:item">
          <dt id="req-{@id}"><xsl:value-of select="@id"/></dt>
          <dd><xsl:apply-templates select="." mode="l"/></dd>
        </xsl:for-each>
      </dl>
    </xsl:if>
  </xsl:template>
</xsl:stylesheet>
